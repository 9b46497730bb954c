/**
 * The tamper-evident audit file end to end: the real process chains and seals its audit
 * lines, publishes the checkpoint key at GET /v1/keys (kid as openssl computes it, and the
 * same kid in the start-up log), continues the chain after a restart, seals at SIGTERM;
 * `deno task audit-verify` accepts the untouched file and names the seq of an edit, and
 * every checkpoint verifies with `openssl pkeyutl -verify -rawin` against the published key.
 */
import assert from "node:assert/strict";
import { run } from "../testing/command.ts";
import { opensslKeyPair } from "../testing/openssl.ts";
import { DENO, PROJECT_ROOT, startServer } from "../testing/server_process.ts";

const TOKEN = "e2e-admin-token-0123456789";

interface PublishedKey {
  kid: string;
  use: string;
  status: string;
  public_key: string;
}

async function denied(url: string): Promise<void> {
  const response = await fetch(`${url}/v1/subjects`, {
    headers: { authorization: "Bearer wrong-token-0123456789" },
  });
  assert.equal(response.status, 401);
  await response.body?.cancel();
}

function verifyTask(file: string, publicKey: string) {
  return run(DENO, ["task", "-q", "audit-verify", file, "--public-key", publicKey], {
    cwd: PROJECT_ROOT,
  });
}

Deno.test("the real service chains and seals AUDIT_LOG_FILE; audit-verify and openssl check it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-audit-" });
  const file = `${dir}/audit.jsonl`;
  const env = {
    DATA_DIR: `${dir}/data`,
    KEYS_DIR: `${dir}/keys`,
    CRON_DIR: `${dir}/cron`,
    AUDIT_LOG_FILE: file,
    ADMIN_TOKEN: TOKEN,
    LOG_LEVEL: "info",
  };
  try {
    await Deno.mkdir(env.KEYS_DIR);
    await opensslKeyPair(env.KEYS_DIR);
    let server = await startServer(env);
    let keys: PublishedKey[];
    try {
      const response = await fetch(`${server.url}/v1/keys`);
      assert.equal(response.status, 200);
      keys = (await response.json()).keys;
      for (let i = 0; i < 3; i++) await denied(server.url);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
    const audit = keys.filter((k) => k.use === "audit");
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.status, "active");
    const publicKey = `${dir}/audit_public.pem`;
    await Deno.writeTextFile(publicKey, audit[0]!.public_key);
    const der = await run("openssl", ["pkey", "-pubin", "-in", publicKey, "-outform", "DER"]);
    const kid = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(der.bytes)))
      .toHex();
    assert.equal(audit[0]!.kid, kid);
    // The kid is in the start-up log, outside the audit file.
    const startLine = server.output().split("\n").find((l) =>
      l.includes('"msg":"Generated the audit signing key"')
    );
    assert.equal(JSON.parse(startLine!).kid, kid);
    assert.equal((await Deno.stat(`${env.DATA_DIR}/audit_signing.pem`)).mode! & 0o777, 0o600);

    let lines = (await Deno.readTextFile(file)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.seq, l.event]), [[1, "auth.denied"], [2, "auth.denied"], [
      3,
      "auth.denied",
    ], [4, "audit.checkpoint"]]);
    const log = lines[0].log;
    assert.ok(lines.every((l) => l.log === log));

    // A restart continues the chain where the file ends.
    server = await startServer(env);
    try {
      await denied(server.url);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
    lines = (await Deno.readTextFile(file)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.slice(4).map((l) => [l.log, l.seq, l.event]), [[log, 5, "auth.denied"], [
      log,
      6,
      "audit.checkpoint",
    ]]);

    const good = await verifyTask(file, publicKey);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(
      good.stdout,
      "6 lines intact, last checkpoint at seq 6, 0 lines after it not yet sealed\n",
    );

    // Each checkpoint, checked by openssl from the documented message and the published key.
    for (const checkpoint of lines.filter((l) => l.event === "audit.checkpoint")) {
      const message =
        `pki-2fa-audit-checkpoint-v1\n${log}\n${checkpoint.seq}\n${checkpoint.chain}\n${checkpoint.time}`;
      await Deno.writeTextFile(`${dir}/msg`, message);
      await Deno.writeFile(`${dir}/sig`, Uint8Array.fromBase64(checkpoint.sig));
      const openssl = await run("openssl", [
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        publicKey,
        "-rawin",
        "-in",
        `${dir}/msg`,
        "-sigfile",
        `${dir}/sig`,
      ]);
      assert.equal(openssl.code, 0, openssl.stderr);
      assert.equal(openssl.stdout, "Signature Verified Successfully\n");
    }

    // An edited line is named by its seq.
    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(file, text.replace('"seq":2,', '"seq":2,"note":"x",'));
    const edited = await verifyTask(file, publicKey);
    assert.equal(edited.code, 1);
    assert.equal(edited.stdout, "");
    assert.match(
      edited.stderr,
      new RegExp(`^audit-verify: seq 2 \\(log ${log}, line 2 of .*\\): the line was altered`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
