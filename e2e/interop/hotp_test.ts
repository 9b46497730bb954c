/**
 * HOTP subjects against oathtool (codes, look-ahead, resync, a counter above 2^53) and
 * exactly-once verification under concurrency on a real redis-server shared by two store
 * connections, as two replicas would share it.
 */
import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../../testing/app_fixture.ts";
import { oathtoolHotp } from "../../testing/oathtool.ts";
import { RedisStateStore } from "../../store/redis_state_store.ts";
import { KvStateStore } from "../../store/kv_state_store.ts";
import type { StateStore } from "../../store/state_store.ts";
import { redisUrl } from "../../testing/redis.ts";
import { seedFromBytes } from "../../store/seed_store.ts";
import { nextCounter, verifyHotp } from "../../store/hotp_verifier.ts";

const ADMIN = "v1-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };

Deno.test("HOTP subject codes, verification and resync agree with oathtool --hotp -c N, beyond 2^53", async () => {
  await using t = await createAppFixture({ security: { adminToken: ADMIN } });
  const seed = crypto.getRandomValues(new Uint8Array(20)).toHex();
  for (const [id, start] of [["low", 0n], ["high", 2n ** 53n + 5n]] as const) {
    const put = await t.call("PUT", `/v1/subjects/${id}/seed`, {
      encrypted_seed: await t.encrypt(seed),
      type: "hotp",
      counter: start.toString(),
      digits: 8,
    }, AS_ADMIN);
    assert.equal(put.status, 201);
    const code = await (await t.call("GET", `/v1/subjects/${id}/code`, undefined, AS_ADMIN)).text();
    assert.equal(code, `{"code":"${await oathtoolHotp(seed, start, 8)}","counter":${start}}`);
    const verify = async (counter: bigint) =>
      (await t.call("POST", `/v1/subjects/${id}/verify`, {
        code: await oathtoolHotp(seed, counter, 8),
      }, AS_ADMIN).then(statusAndBody)).body;
    // The look-ahead reaches start + 10 and no further.
    assert.deepEqual(await verify(start + 11n), { valid: false });
    assert.deepEqual(await verify(start + 10n), { valid: true });
    assert.deepEqual(await verify(start + 10n), { valid: false });
    // Resync from oathtool's codes 60 and 61 further on.
    const resync = await t.call("POST", `/v1/subjects/${id}/resync`, {
      codes: [await oathtoolHotp(seed, start + 71n, 8), await oathtoolHotp(seed, start + 72n, 8)],
    }, AS_ADMIN);
    assert.equal(resync.status, 200);
    assert.match(await resync.text(), new RegExp(`"counter":${start + 73n},`));
    assert.deepEqual(await verify(start + 73n), { valid: true });
  }
});

async function concurrentUses(stores: StateStore[], subject: string): Promise<number> {
  const secret = crypto.getRandomValues(new Uint8Array(20));
  const seed = await seedFromBytes(secret);
  const credential = { seed, baseCounter: 2n ** 60n, digits: 6 };
  const code = await oathtoolHotp(secret.toHex(), 2n ** 60n + 4n);
  const policy = { replayProtection: true, maxFailures: 5 };
  const results = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      verifyHotp(credential, code, {
        store: stores[i % stores.length]!,
        subject,
        policy,
        now: Date.now(),
      })),
  );
  const state = await stores[0]!.getVerification(subject, seed.id);
  assert.equal(nextCounter(credential.baseCounter, state), 2n ** 60n + 5n);
  return results.filter((r) => r.kind === "valid").length;
}

Deno.test("HOTP exactly once: 60 concurrent uses of one code through two Redis connections, one success", async () => {
  const url = await redisUrl();
  const prefix = `test-${crypto.randomUUID()}`;
  const stores = [
    await RedisStateStore.open(url, { prefix }),
    await RedisStateStore.open(url, { prefix }),
  ];
  try {
    assert.equal(await concurrentUses(stores, "fob"), 1);
  } finally {
    for (const store of stores) store.close();
  }
});

Deno.test("HOTP exactly once: 60 concurrent uses of one code on Deno KV, one success", async () => {
  const store = await KvStateStore.open(":memory:");
  try {
    assert.equal(await concurrentUses([store], "fob"), 1);
  } finally {
    store.close();
  }
});
