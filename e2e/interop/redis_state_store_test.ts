/** The state store contract (testing/state_store_contract.ts) on a real redis-server. */
import { RedisStateStore } from "../../store/redis_state_store.ts";
import { redisUrl } from "../../testing/redis.ts";
import { stateStoreContract } from "../../testing/state_store_contract.ts";

stateStoreContract(
  "redis",
  async () => RedisStateStore.open(await redisUrl(), { prefix: `test-${crypto.randomUUID()}` }),
);
