/** The state store contract (testing/state_store_contract.ts) on Deno KV. */
import { KvStateStore } from "./kv_state_store.ts";
import { stateStoreContract } from "../testing/state_store_contract.ts";

stateStoreContract("kv", () => KvStateStore.open(":memory:"));
