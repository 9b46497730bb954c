/**
 * A state store that loses its data (Redis restarted without persistence) while the service
 * runs. Before the fix the data key stayed only in memory: new subjects were sealed under it,
 * the next start made another key, and those subjects never opened again ("The sealed secret
 * does not open with this key and context").
 */
import assert from "node:assert/strict";
import { type SubjectParams, SubjectStore } from "./subject_store.ts";
import { KvStateStore } from "./kv_state_store.ts";
import { DATA_KEY_KEY, subjectRecordKey } from "./state_keys.ts";
import { DATA_KEY_NOT_STORED_MESSAGE, DataKeyNotStoredError } from "./data_key.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { testServiceKeys } from "../testing/service_keys.ts";

const PARAMS: SubjectParams = {
  algorithm: "SHA1",
  digits: 6,
  period: 30,
  issuer: "Acme",
  account_name: "alice",
};
const NOW = 1_764_000_015_000;

async function wipe(state: KvStateStore, ids: string[]): Promise<void> {
  await state.deleteRecord(DATA_KEY_KEY);
  for (const id of ids) await state.deleteRecord(subjectRecordKey(id));
}

Deno.test("a store that lost its data key gets it back before the next seal; a restart opens the new subject", async () => {
  const state = await KvStateStore.open(":memory:");
  try {
    const keys = await testServiceKeys();
    const logger = createMemoryLogger();
    const subjects = await SubjectStore.open(state, keys, { logger });
    await subjects.put("alice", crypto.getRandomValues(new Uint8Array(20)), PARAMS, { now: NOW });
    const dataKey = await state.getRecord(DATA_KEY_KEY);
    assert.notEqual(dataKey, null);
    await wipe(state, ["alice"]);

    const bob = crypto.getRandomValues(new Uint8Array(20));
    assert.equal((await subjects.put("bob", bob, PARAMS, { now: NOW })).outcome, "created");
    assert.deepEqual(await state.getRecord(DATA_KEY_KEY), dataKey);
    assert.ok(
      logger.lines.some((l) =>
        l.includes("The state store had lost the /v1 data key; it was stored again from memory")
      ),
      JSON.stringify(logger.lines),
    );
    // A restart (a new process over the same store) opens what was sealed after the loss.
    const restarted = await SubjectStore.open(state, keys, { logger: createMemoryLogger() });
    assert.deepEqual(await restarted.secretOf((await restarted.get("bob"))!), bob);
  } finally {
    state.close();
  }
});

Deno.test("when another replica stored a new data key meanwhile, nothing is sealed under the old one", async () => {
  const state = await KvStateStore.open(":memory:");
  try {
    const keys = await testServiceKeys();
    const logger = createMemoryLogger();
    const first = await SubjectStore.open(state, keys, { logger });
    await first.put("alice", crypto.getRandomValues(new Uint8Array(20)), PARAMS, { now: NOW });
    await wipe(state, ["alice"]);
    const other = await SubjectStore.open(state, keys, { logger: createMemoryLogger() });
    const carol = crypto.getRandomValues(new Uint8Array(20));
    await other.put("carol", carol, PARAMS, { now: NOW });

    const refused = (error: unknown) =>
      error instanceof DataKeyNotStoredError && error.message === DATA_KEY_NOT_STORED_MESSAGE;
    await assert.rejects(
      () => first.put("bob", crypto.getRandomValues(new Uint8Array(20)), PARAMS, { now: NOW }),
      refused,
    );
    await assert.rejects(() => first.sealOther(new Uint8Array(32), "recovery key"), refused);
    // /ready takes the replica out of the load balancer until it restarts.
    assert.equal(await first.status(), "foreign");
    assert.equal(await other.status(), "ok");
    assert.equal(await state.getRecord(subjectRecordKey("bob")), null);
    assert.deepEqual(await other.secretOf((await other.get("carol"))!), carol);
    assert.equal(
      DATA_KEY_NOT_STORED_MESSAGE,
      "Subject store unavailable: the state store holds another data key than this replica " +
        "(was the store reset?); nothing was sealed",
    );
  } finally {
    state.close();
  }
});

Deno.test("a replica that found another data key is ready again once the store holds its key", async () => {
  const state = await KvStateStore.open(":memory:");
  try {
    const keys = await testServiceKeys();
    const logger = createMemoryLogger();
    const first = await SubjectStore.open(state, keys, { logger });
    await first.put("alice", crypto.getRandomValues(new Uint8Array(20)), PARAMS, { now: NOW });
    const mine = await state.getRecord(DATA_KEY_KEY);
    await wipe(state, ["alice"]);
    const other = await SubjectStore.open(state, keys, { logger: createMemoryLogger() });
    await other.put("carol", crypto.getRandomValues(new Uint8Array(20)), PARAMS, { now: NOW });
    const seal = () =>
      first.put("bob", crypto.getRandomValues(new Uint8Array(20)), PARAMS, { now: NOW });
    await assert.rejects(seal, DataKeyNotStoredError);
    await assert.rejects(seal, DataKeyNotStoredError);
    assert.equal(await first.status(), "foreign");
    const errors = logger.lines.filter((l) => l.includes("holds another /v1 data key"));
    assert.equal(errors.length, 1, "one error line for the state, not one per request");
    // An operator puts the backup of the store back: this replica's key is there again.
    await state.setRecord(DATA_KEY_KEY, mine);
    assert.equal(await first.status(), "ok");
    assert.equal((await seal()).outcome, "created");
  } finally {
    state.close();
  }
});
