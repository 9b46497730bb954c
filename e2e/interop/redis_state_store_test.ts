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
