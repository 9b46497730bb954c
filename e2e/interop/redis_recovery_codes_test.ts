/** The recovery-code contract (testing/recovery_store_contract.ts) on a real redis-server. */
import { RedisStateStore } from "../../store/redis_state_store.ts";
import { redisUrl } from "../../testing/redis.ts";
import { recoveryStoreContract } from "../../testing/recovery_store_contract.ts";

recoveryStoreContract(
  "redis",
  async () => RedisStateStore.open(await redisUrl(), { prefix: `test-${crypto.randomUUID()}` }),
);
