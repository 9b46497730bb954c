/**
 * Two real processes on one `DATA_DIR` (issue 12 item 9): before the fix both started and
 * served, each with its own idea of the seed, and both wrote the code log every minute.
 * Now the second exits 1 with one line naming the folder, and the first is unaffected.
 */
import assert from "node:assert/strict";
import { opensslKeyPair } from "../testing/openssl.ts";
import {
  DENO,
  freePort,
  PROJECT_ROOT,
  startServer,
  startTaskArgs,
} from "../testing/server_process.ts";

Deno.test("a second instance on the same DATA_DIR exits with one line naming the folder", async () => {
  const root = await Deno.makeTempDir({ prefix: "pki2fa-lock-" });
  const env = { DATA_DIR: `${root}/data`, CRON_DIR: `${root}/cron`, KEYS_DIR: `${root}/keys` };
  try {
    await Deno.mkdir(env.KEYS_DIR);
    await opensslKeyPair(env.KEYS_DIR);
    const first = await startServer(env);
    try {
      // Before the fix the second one served for ever: stopped after 20 s, it fails here.
      const output = await new Deno.Command(DENO, {
        args: await startTaskArgs(),
        cwd: PROJECT_ROOT,
        env: { ...env, HOST: "127.0.0.1", PORT: String(freePort()) },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(20_000),
      }).output();
      const second = {
        code: output.code,
        stdout: new TextDecoder().decode(output.stdout),
        stderr: new TextDecoder().decode(output.stderr),
      };
      assert.equal(second.code, 1, second.stdout);
      assert.equal(second.stderr, "");
      const lines = second.stdout.trim().split("\n");
      assert.equal(lines.length, 1, second.stdout);
      const line = JSON.parse(lines[0]!);
      assert.equal(line.level, "error");
      assert.equal(
        line.msg,
        `DATA_DIR "${env.DATA_DIR}" is in use by another pki-2fa process (it holds ${env.DATA_DIR}/.lock); ` +
          "stop that process, or give this one its own DATA_DIR",
      );
      const health = await fetch(`${first.url}/ready`);
      assert.equal(health.status, 200, await health.text());
    } finally {
      assert.equal(await first.stop(), 0, first.output());
    }
    // The lock dies with its process: a new start on the folder works.
    const again = await startServer(env);
    assert.equal(await again.stop(), 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
