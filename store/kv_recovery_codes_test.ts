import { KvStateStore } from "./kv_state_store.ts";
import { recoveryStoreContract } from "../testing/recovery_store_contract.ts";

recoveryStoreContract("kv", () => KvStateStore.open(":memory:"));
