/**
 * Recovery codes with several replicas on a real redis-server: a code made through one
 * replica works exactly once among 60 concurrent uses spread over two, and no key or value
 * in Redis holds a code in any form.
 */
import assert from "node:assert/strict";
import { createClient } from "redis";
import { opensslKeyPair } from "../../testing/openssl.ts";
import { encryptOaepAnySize } from "../../crypto/rsa_public_any_size.ts";
import { publicKeyPemToSpki } from "../../crypto/rsa_keys.ts";
import { redisUrl } from "../../testing/redis.ts";
import { type ServerProcess, startServer } from "../../testing/server_process.ts";
import { withTempDir } from "../../testing/temp_dir.ts";

const ADMIN = "recovery-replica-token-0123456789";
const AUTH = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

function call(server: ServerProcess, method: string, path: string, body?: unknown) {
  return fetch(server.url + path, {
    method,
    headers: AUTH,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Every key of the database and every value in it, whatever its type, as one text. */
async function dumpRedis(client: ReturnType<typeof createClient>): Promise<string> {
  const parts: string[] = [];
  for await (const keys of client.scanIterator({ COUNT: 500 })) {
    for (const key of keys) {
      parts.push(key);
      const type = await client.type(key);
      if (type === "string") parts.push((await client.get(key)) ?? "");
      else if (type === "hash") parts.push(JSON.stringify(await client.hGetAll(key)));
      else if (type === "set") parts.push(...await client.sMembers(key));
      else if (type === "zset") parts.push(...await client.zRange(key, 0, -1));
      else if (type === "list") parts.push(...await client.lRange(key, 0, -1));
      else throw new Error(`A key of type ${type}: extend the dump`);
    }
  }
  return parts.join("\n");
}

Deno.test("recovery codes on two replicas sharing Redis: exactly once among 60 concurrent uses, the default subject too; Redis holds no code", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/keys`);
    await opensslKeyPair(`${dir}/keys`);
    // A database of its own on the shared server, emptied first.
    const url = `${await redisUrl()}/9`;
    const redis = createClient({ url });
    await redis.connect();
    await redis.flushDb();
    const env = (name: string) => ({
      KEYS_DIR: `${dir}/keys`,
      DATA_DIR: `${dir}/${name}`,
      CRON_DIR: `${dir}/${name}-cron`,
      STATE_STORE: "redis",
      REDIS_URL: url,
      ADMIN_TOKEN: ADMIN,
      RATE_LIMIT_PER_MINUTE: "0",
      THROTTLE_MAX_FAILURES: "1000",
      LOG_LEVEL: "warn",
    });
    const [a, b] = await Promise.all([startServer(env("a")), startServer(env("b"))]);
    try {
      const codes: string[] = [];
      for (const id of ["alice", "bob"]) {
        const enrolled = await call(a, "POST", `/v1/subjects/${id}/enroll`, {
          issuer: "ACME",
          account_name: id,
        });
        assert.equal(enrolled.status, 201);
        await enrolled.body?.cancel();
        const made = await call(a, "POST", `/v1/subjects/${id}/recovery-codes`);
        assert.equal(made.status, 201);
        codes.push(...(await made.json()).recovery_codes);
      }
      // Made through A, used through both at once.
      const code = codes[0]!;
      const answers = await Promise.all(
        Array.from(
          { length: 60 },
          async (_, i) =>
            (await call(i % 2 ? a : b, "POST", "/v1/subjects/alice/verify", {
              recovery_code: i % 3 ? code : code.toLowerCase().replaceAll("-", " "),
            })).text(),
        ),
      );
      assert.equal(answers.filter((t) => t === '{"valid":true,"recovery_codes_left":9}').length, 1);
      assert.equal(answers.filter((t) => t === '{"valid":false}').length, 59);
      const meta = await (await call(b, "GET", "/v1/subjects/alice")).json();
      assert.equal(meta.recovery_codes_left, 9);

      // The default subject: its seed posted to A, shared through Redis, codes made on B.
      const publicPem = await Deno.readTextFile(`${dir}/keys/student_public.pem`);
      const encrypted = await encryptOaepAnySize(
        publicKeyPemToSpki(publicPem),
        new TextEncoder().encode("ef".repeat(32)),
      );
      const posted = await call(a, "POST", "/decrypt-seed", {
        encrypted_seed: encrypted.toBase64(),
      });
      assert.equal(posted.status, 200, await posted.text());
      let made: Response | undefined;
      for (let i = 0; i < 40; i++) {
        made = await call(b, "POST", "/v1/subjects/default/recovery-codes");
        if (made.status !== 404) break;
        await made.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(made!.status, 201, "B serves the seed posted to A");
      const defaultCodes: string[] = (await made!.json()).recovery_codes;
      codes.push(...defaultCodes);
      assert.equal(
        await (await call(a, "POST", "/v1/subjects/default/verify", {
          recovery_code: defaultCodes[9],
        })).text(),
        '{"valid":true,"recovery_codes_left":9}',
      );
      assert.equal(
        await (await call(b, "POST", "/v1/subjects/default/verify", {
          recovery_code: defaultCodes[9],
        })).text(),
        '{"valid":false}',
      );

      const dump = await dumpRedis(redis);
      assert.match(dump, /recovery_codes/, "the dump holds the digests");
      for (const c of codes) {
        const normalised = c.replaceAll("-", "");
        for (const form of [c, normalised, c.toLowerCase(), normalised.toLowerCase()]) {
          assert.ok(!dump.includes(form), `${form} is readable in Redis`);
        }
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await redis.quit();
    }
  });
});
