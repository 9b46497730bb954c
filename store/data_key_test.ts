import assert from "node:assert/strict";
import {
  DataKey,
  LOCKED_MESSAGE,
  SubjectStoreLockedError,
  type WrappedDataKeyRecord,
} from "./data_key.ts";
import { KvStateStore } from "./kv_state_store.ts";
import { DATA_KEY_KEY } from "./state_keys.ts";
import { createWrappedDataKey } from "../crypto/envelope.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { testServiceKeys } from "../testing/service_keys.ts";

Deno.test("DataKey: nothing is stored until the key is first needed; then one record naming the service key", async () => {
  using state = disposable(await KvStateStore.open(":memory:"));
  const keys = await testServiceKeys();
  const dataKey = new DataKey(state.store, keys, { logger: createMemoryLogger(), now: () => 0 });
  assert.equal(await dataKey.status(), "absent");
  assert.equal(await state.store.getRecord(DATA_KEY_KEY), null);
  const key = await dataKey.get();
  assert.equal(key.algorithm.name, "AES-GCM");
  assert.equal(key.extractable, false);
  const record = await state.store.getRecord<WrappedDataKeyRecord>(DATA_KEY_KEY);
  assert.deepEqual(Object.keys(record!).sort(), ["created_at", "service_key", "wrapped"]);
  assert.equal(record!.service_key, keys.fingerprint);
  assert.equal(record!.created_at, "1970-01-01T00:00:00.000Z");
  assert.equal(await dataKey.status(), "ok");
  // Replicas racing to create it agree on one key.
  const other = new DataKey(state.store, keys, { logger: createMemoryLogger() });
  await other.get();
  assert.deepEqual(await state.store.getRecord(DATA_KEY_KEY), record);
});

Deno.test("DataKey: a data key wrapped to another key locks, logs the recovery once, and never throws anything else", async () => {
  using state = disposable(await KvStateStore.open(":memory:"));
  const old = await testServiceKeys("old");
  const replaced = await testServiceKeys("new");
  await new DataKey(state.store, old, { logger: createMemoryLogger() }).get();
  const logger = createMemoryLogger();
  const dataKey = new DataKey(state.store, replaced, { logger });
  assert.equal(await dataKey.status(), "locked");
  for (let i = 0; i < 3; i++) {
    await assert.rejects(
      () => dataKey.get(),
      (error: unknown) =>
        error instanceof SubjectStoreLockedError && error.message === LOCKED_MESSAGE,
    );
    assert.equal(await dataKey.status(), "locked");
  }
  assert.equal(logger.lines.length, 1, logger.lines.join("\n"));
  const line = JSON.parse(logger.lines[0]!);
  assert.equal(line.level, "error");
  assert.match(line.msg, /^The \/v1 subject store is locked: .*put back the private key/);
  assert.equal(line.dataKeyWrappedTo, old.fingerprint);
  assert.equal(line.serviceKey, replaced.fingerprint);
  // The old key still opens it: nothing was overwritten.
  assert.equal(await new DataKey(state.store, old, { logger }).status(), "ok");
});

Deno.test("DataKey: the bare wrapped string of earlier versions still opens", async () => {
  using state = disposable(await KvStateStore.open(":memory:"));
  const keys = await testServiceKeys();
  await state.store.setRecord(DATA_KEY_KEY, await createWrappedDataKey(keys.publicKey));
  const dataKey = new DataKey(state.store, keys, { logger: createMemoryLogger() });
  assert.equal(await dataKey.status(), "ok");
  assert.equal((await dataKey.get()).algorithm.name, "AES-GCM");
});

function disposable(store: KvStateStore): { store: KvStateStore } & Disposable {
  return { store, [Symbol.dispose]: () => store.close() };
}
