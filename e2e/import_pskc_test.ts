/**
 * `deno task import-pskc` as documented, against the real service process and without
 * `--public-key`: the tool takes the service's active key from `GET /v1/keys` (its kid as
 * openssl computes it) and the imported token answers RFC 4226's code.
 */
import assert from "node:assert/strict";
import { run } from "../testing/command.ts";
import { opensslSpkiSha256 } from "../testing/openssl.ts";
import { DENO, PROJECT_ROOT, startServer } from "../testing/server_process.ts";
import { serviceDir } from "../testing/service_dir.ts";

const TOKEN = "e2e-import-pskc-token-0123456789";

Deno.test("deno task import-pskc without --public-key imports into the real service with the key of GET /v1/keys", async () => {
  await using folder = await serviceDir("pki2fa-import-pskc-");
  const kid = await opensslSpkiSha256(folder.publicPath);
  const server = await startServer({ ...folder.env, ADMIN_TOKEN: TOKEN });
  try {
    const result = await run(DENO, [
      "task",
      "-q",
      "import-pskc",
      "testing/fixtures/pskc/rfc6030_figure6.pskcxml",
      "--url",
      server.url,
      "--key",
      "12345678901234567890123456789012",
      "--prefix",
      "rfc6.",
    ], { cwd: PROJECT_ROOT, env: { ADMIN_TOKEN: TOKEN } });
    assert.deepEqual(
      { code: result.code, stdout: result.stdout, stderr: result.stderr },
      {
        code: 0,
        stdout: "ok       rfc6.12345678 (hotp, SHA1, 8 digits, counter 0)\n" +
          "imported rfc6.12345678\n1 token(s) imported\n",
        stderr: `Encrypting to key ${kid} (GET ${server.url}/v1/keys)\n`,
      },
    );
    const response = await fetch(`${server.url}/v1/subjects/rfc6.12345678/code`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.deepEqual(
      [response.status, await response.text()],
      [200, '{"code":"84755224","counter":0}'],
    );
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
