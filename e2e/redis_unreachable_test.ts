/**
 * A Redis that cannot be reached at start (issue 13 item 5): the service keeps trying for
 * about 5 s, then exits 1 with one line naming REDIS_URL and the cause, never the URL's
 * password and never a stack trace. Hermetic: nothing listens on the port.
 */
import assert from "node:assert/strict";
import { run } from "../testing/command.ts";
import { opensslKeyPair } from "../testing/openssl.ts";
import {
  DENO,
  freePort,
  isolatedEnv,
  PROJECT_ROOT,
  startTaskArgs,
} from "../testing/server_process.ts";
import { withTempDir } from "../testing/temp_dir.ts";

Deno.test("an unreachable REDIS_URL stops the start after about 5 s with one line and no password", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/keys`);
    await opensslKeyPair(`${dir}/keys`);
    const redisPort = freePort();
    const started = performance.now();
    const result = await run(DENO, await startTaskArgs(), {
      cwd: PROJECT_ROOT,
      env: isolatedEnv({
        HOST: "127.0.0.1",
        PORT: String(freePort()),
        KEYS_DIR: `${dir}/keys`,
        DATA_DIR: `${dir}/data`,
        CRON_DIR: `${dir}/cron`,
        STATE_STORE: "redis",
        REDIS_URL: `redis://app:very-secret-password@127.0.0.1:${redisPort}/0`,
      }),
    });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "", "no stack trace");
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
    const errors = lines.filter((line) => line.level === "error");
    assert.deepEqual(errors.map((line) => line.msg), [
      `Cannot open the redis state store (REDIS_URL): connect ECONNREFUSED 127.0.0.1:${redisPort}`,
    ]);
    assert.doesNotMatch(result.stdout, /very-secret-password/);
    assert.ok(seconds > 4.5 && seconds < 30, `gave up after ${seconds} s`);
  });
});
