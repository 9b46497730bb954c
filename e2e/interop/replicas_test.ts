/**
 * Several replicas, one state: two real service processes share a real redis-server.
 * A subject enrolled through one verifies through the other, a code is accepted exactly
 * once across both, a lock caused through one is seen by the other, and the replay mark
 * survives restarting both.
 */
import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { createClient } from "redis";
import { opensslKeyPair } from "../../testing/openssl.ts";
import { redisUrl } from "../../testing/redis.ts";
import { type ServerProcess, startServer } from "../../testing/server_process.ts";
import { withTempDir } from "../../testing/temp_dir.ts";

const ADMIN = "replica-admin-token-0123456789";
const AUTH = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

function call(
  server: ServerProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(server.url + path, {
    method,
    headers: AUTH,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

Deno.test("two replicas sharing Redis: one credential, exactly-once codes, shared locks, state across restarts", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/keys`);
    await opensslKeyPair(`${dir}/keys`);
    // A database of its own on the shared server, emptied first.
    const url = `${await redisUrl()}/7`;
    const admin = createClient({ url });
    await admin.connect();
    await admin.flushDb();
    await admin.quit();
    const env = (name: string) => ({
      KEYS_DIR: `${dir}/keys`,
      DATA_DIR: `${dir}/${name}`,
      CRON_DIR: `${dir}/${name}-cron`,
      STATE_STORE: "redis",
      REDIS_URL: url,
      ADMIN_TOKEN: ADMIN,
      RATE_LIMIT_PER_MINUTE: "0",
      LOG_LEVEL: "warn",
    });
    let [a, b] = await Promise.all([startServer(env("a")), startServer(env("b"))]);
    try {
      // Enrolled through A, verified through B.
      const enrolled = await (await call(a, "POST", "/v1/subjects/alice/enroll", {
        issuer: "ACME",
        account_name: "alice",
      })).json();
      const alice = OTPAuth.URI.parse(enrolled.otpauth_uri) as OTPAuth.TOTP;
      const aliceCode = alice.generate();
      assert.equal(
        await (await call(b, "POST", "/v1/subjects/alice/verify", { code: aliceCode })).text(),
        '{"valid":true}',
      );
      assert.equal(
        await (await call(a, "POST", "/v1/subjects/alice/verify", { code: aliceCode })).text(),
        '{"valid":false}',
      );

      // 60 concurrent verifications of one code, spread over both: exactly one true.
      const bob = OTPAuth.URI.parse(
        (await (await call(a, "POST", "/v1/subjects/bob/enroll", {
          issuer: "ACME",
          account_name: "bob",
        })).json()).otpauth_uri,
      ) as OTPAuth.TOTP;
      const code = bob.generate();
      const answers = await Promise.all(
        Array.from(
          { length: 60 },
          (_, i) =>
            call(i % 2 ? a : b, "POST", "/v1/subjects/bob/verify", { code }).then((r) => r.text()),
        ),
      );
      assert.equal(answers.filter((t) => t === '{"valid":true}').length, 1);
      assert.equal(
        answers.filter((t) =>
          t === '{"valid":true}' || t === '{"valid":false}' || t === '{"error":"Too many attempts"}'
        ).length,
        60,
      );

      // A lock caused through A is seen by B.
      await call(a, "POST", "/v1/subjects/carol/enroll", { issuer: "ACME", account_name: "carol" });
      for (let i = 0; i < 5; i++) {
        await call(a, "POST", "/v1/subjects/carol/verify", { code: "000000" });
      }
      const locked = await call(b, "POST", "/v1/subjects/carol/verify", { code: "000000" });
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.headers.get("retry-after")) > 0);
      assert.equal((await (await call(b, "GET", "/v1/subjects/carol")).json()).locked, true);

      // Restart both: the replay mark is still there.
      const step = (await (await call(a, "GET", "/v1/subjects/alice")).json()).last_accepted_step;
      assert.equal(typeof step, "number");
      assert.equal(await a.stop(), 0);
      assert.equal(await b.stop(), 0);
      [a, b] = await Promise.all([startServer(env("a")), startServer(env("b"))]);
      assert.equal(
        (await (await call(b, "GET", "/v1/subjects/alice")).json()).last_accepted_step,
        step,
      );
      assert.equal(
        await (await call(a, "POST", "/v1/subjects/alice/verify", { code: aliceCode })).text(),
        '{"valid":false}',
      );
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
