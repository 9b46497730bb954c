/** The state store contract (testing/state_store_contract.ts) on a real redis-server. */
import assert from "node:assert/strict";
import { createClient } from "redis";
import { RedisStateStore } from "../../store/redis_state_store.ts";
import { redisUrl } from "../../testing/redis.ts";
import { stateStoreContract } from "../../testing/state_store_contract.ts";

stateStoreContract(
  "redis",
  async () => RedisStateStore.open(await redisUrl(), { prefix: `test-${crypto.randomUUID()}` }),
);

Deno.test("RedisStateStore.open() moves pre-upgrade single states under their seed id, once", async () => {
  const url = await redisUrl();
  const prefix = `test-${crypto.randomUUID()}`;
  const raw = createClient({ url });
  await raw.connect();
  try {
    await raw.set(
      `${prefix}:subjects:default:state`,
      JSON.stringify({
        seedId: "old-seed",
        lastStep: 58_800_000,
        failures: 2,
        lockLevel: 1,
        lockedUntil: 1_764_000_100_000,
      }),
    );
    let store = await RedisStateStore.open(url, { prefix });
    assert.deepEqual(await store.getVerification("default", "old-seed"), {
      lastStep: 58_800_000,
      failures: 2,
      lockLevel: 1,
      lockedUntil: 1_764_000_100_000,
    });
    store.close();
    assert.equal(await raw.exists(`${prefix}:subjects:default:state`), 0);
    await raw.set(`${prefix}:subjects:carol:state`, JSON.stringify({ seedId: "c", lastStep: 1 }));
    store = await RedisStateStore.open(url, { prefix });
    assert.equal(await store.getVerification("carol", "c"), null);
    store.close();
  } finally {
    await raw.quit();
  }
});

Deno.test("RedisStateStore: an expiring record carries its time to live in Redis, renewed by each write", async () => {
  const url = await redisUrl();
  const prefix = `test-${crypto.randomUUID()}`;
  const store = await RedisStateStore.open(url, { prefix });
  const raw = createClient({ url });
  await raw.connect();
  try {
    await store.setExpiringRecord(["admin_sessions", "h"], { n: 1 }, 10_000, { ifAbsent: true });
    const first = await raw.pTTL(`${prefix}:admin_sessions:h`);
    assert.ok(first > 9_000 && first <= 10_000, `pttl ${first}`);
    await store.setExpiringRecord(["admin_sessions", "h"], { n: 2 }, 1_800_000, {
      ifPresent: true,
    });
    const renewed = await raw.pTTL(`${prefix}:admin_sessions:h`);
    assert.ok(renewed > 1_790_000 && renewed <= 1_800_000, `pttl ${renewed}`);
    // Nothing is indexed for listing.
    assert.equal(await raw.exists(`${prefix}:admin_sessions:_index`), 0);
  } finally {
    store.close();
    await raw.quit();
  }
});
