import assert from "node:assert/strict";
import {
  SEAL_VERSION,
  sealContext,
  type SubjectParams,
  type SubjectRecord,
  SubjectStore,
} from "./subject_store.ts";
import { KvStateStore } from "./kv_state_store.ts";
import { subjectRecordKey } from "./state_keys.ts";
import { SubjectStoreLockedError } from "./data_key.ts";
import { sealSecret, unwrapDataKey } from "../crypto/envelope.ts";
import { DATA_KEY_KEY } from "./state_keys.ts";
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

async function open(name = "a") {
  const state = await KvStateStore.open(":memory:");
  const keys = await testServiceKeys(name);
  const subjects = await SubjectStore.open(state, keys, { logger: createMemoryLogger() });
  return { state, keys, subjects, [Symbol.dispose]: () => state.close() };
}

Deno.test("sealed records authenticate id, type, algorithm, digits and period: a record changed in the store does not open", async () => {
  const changes: Partial<SubjectRecord>[] = [
    { algorithm: "SHA512" },
    { digits: 8 },
    { period: 120 },
    { type: "hotp" },
  ];
  for (const change of changes) {
    using t = await open();
    await t.subjects.put("alice", crypto.getRandomValues(new Uint8Array(20)), PARAMS, { now: NOW });
    const record = (await t.state.getRecord<SubjectRecord>(subjectRecordKey("alice")))!;
    assert.equal(record.seal, SEAL_VERSION);
    await t.state.setRecord(subjectRecordKey("alice"), { ...record, ...change });
    await assert.rejects(
      () => t.subjects.load("alice"),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message === "The sealed secret does not open with this key and context",
      JSON.stringify(change),
    );
  }
  // Nor does a seal copied into another subject's record.
  using t = await open();
  await t.subjects.put("alice", crypto.getRandomValues(new Uint8Array(20)), PARAMS, { now: NOW });
  await t.subjects.put("bob", crypto.getRandomValues(new Uint8Array(20)), PARAMS, { now: NOW });
  const alice = (await t.state.getRecord<SubjectRecord>(subjectRecordKey("alice")))!;
  const bob = (await t.state.getRecord<SubjectRecord>(subjectRecordKey("bob")))!;
  await t.state.setRecord(subjectRecordKey("bob"), { ...bob, sealed_seed: alice.sealed_seed });
  await assert.rejects(() => t.subjects.load("bob"), TypeError);
});

Deno.test("a record sealed by the previous version (id-only AAD) opens, gives the same codes, and is resealed", async () => {
  using t = await open();
  const secret = crypto.getRandomValues(new Uint8Array(20));
  await t.subjects.put("alice", secret.slice(), PARAMS, { now: NOW });
  const current = (await t.subjects.load("alice"))!;
  const expected = await current.seed.codeAt(123);
  // What an earlier version stored: the seal bound to the id only, no `seal` field.
  const wrapped = await t.state.getRecord<{ wrapped: string }>(DATA_KEY_KEY);
  const key = await unwrapDataKey(t.keys.privateKey, wrapped!.wrapped);
  const { seal: _seal, ...rest } = (await t.subjects.get("alice"))!;
  const legacy = { ...rest, sealed_seed: await sealSecret(key, secret, "alice") };
  await t.state.setRecord(subjectRecordKey("alice"), legacy);

  using fresh = {
    ...t,
    subjects: await SubjectStore.open(t.state, t.keys, { logger: createMemoryLogger() }),
    [Symbol.dispose]() {},
  };
  assert.equal(await (await fresh.subjects.load("alice"))!.seed.codeAt(123), expected);
  const migrated = (await t.subjects.get("alice"))!;
  assert.equal(migrated.seal, SEAL_VERSION);
  assert.notEqual(migrated.sealed_seed, legacy.sealed_seed);
  assert.deepEqual({ ...migrated, sealed_seed: "", seal: 0 }, {
    ...legacy,
    sealed_seed: "",
    seal: 0,
  });
  // Resealed with the full context: changing the digits now breaks it.
  await t.state.setRecord(subjectRecordKey("alice"), { ...migrated, digits: 8 });
  await assert.rejects(
    () =>
      SubjectStore.open(t.state, t.keys, { logger: createMemoryLogger() }).then((s) =>
        s.load("alice")
      ),
    TypeError,
  );
  assert.equal(
    sealContext({ id: "alice", ...PARAMS }),
    "pki-2fa-subject-v2\nalice\ntotp\nSHA1\n6\n30",
  );
});

Deno.test("put(): if-absent is atomic (1 of 10 concurrent creations wins), issuedAt refuses anything not newer", async () => {
  using t = await open();
  const outcomes = await Promise.all(
    Array.from(
      { length: 10 },
      () =>
        t.subjects.put("eve", crypto.getRandomValues(new Uint8Array(20)), PARAMS, {
          now: NOW,
          ifAbsent: true,
        }).then((r) => r.outcome),
    ),
  );
  assert.deepEqual(outcomes.toSorted(), ["created", ...Array(9).fill("exists")]);

  const put = (issuedAt: number) =>
    t.subjects.put("signed", crypto.getRandomValues(new Uint8Array(20)), PARAMS, {
      now: NOW,
      issuedAt,
    }).then((r) => r.outcome);
  assert.equal(await put(NOW - 5000), "created");
  const first = await t.subjects.get("signed");
  assert.equal(first!.seed_issued_at, new Date(NOW - 5000).toISOString());
  assert.equal(await put(NOW - 5000), "stale");
  assert.equal(await put(NOW - 6000), "stale");
  assert.deepEqual(await t.subjects.get("signed"), first, "a stale seed changes nothing");
  assert.equal(await put(NOW - 4000), "replaced");
  assert.equal((await t.subjects.get("signed"))!.created_at, first!.created_at);
});

Deno.test("a store whose data key belongs to a replaced service key refuses put and load with SubjectStoreLockedError", async () => {
  using t = await open("old");
  await t.subjects.put("alice", crypto.getRandomValues(new Uint8Array(20)), PARAMS, { now: NOW });
  const after = await SubjectStore.open(t.state, await testServiceKeys("new"), {
    logger: createMemoryLogger(),
  });
  assert.equal(await after.status(), "locked");
  await assert.rejects(() => after.load("alice"), SubjectStoreLockedError);
  await assert.rejects(
    () => after.put("bob", new Uint8Array(20), PARAMS, { now: NOW }),
    SubjectStoreLockedError,
  );
  assert.equal(await t.subjects.get("bob"), null);
});

Deno.test("confirm(): once, atomically, and only while the record holds the seed the code was checked against", async () => {
  using t = await open();
  const secret = () => crypto.getRandomValues(new Uint8Array(20));
  await t.subjects.put("carol", secret(), { ...PARAMS, confirmed: false }, { now: NOW });
  const pending = (await t.subjects.load("carol"))!.record;
  assert.equal(pending.confirmed, false);
  const results = await Promise.all(Array.from({ length: 10 }, () => t.subjects.confirm(pending)));
  assert.deepEqual(
    results.toSorted(),
    ["already", ...Array(8).fill("already"), "confirmed"].toSorted(),
  );
  const confirmed = (await t.subjects.get("carol"))!;
  assert.equal(confirmed.confirmed, true);
  assert.equal(confirmed.sealed_seed, pending.sealed_seed);
  assert.equal((await t.subjects.load("carol"))!.record.confirmed, true, "the seal still opens");
  // A new seed came meanwhile: a code for the old one confirms nothing.
  await t.subjects.put("dave", secret(), { ...PARAMS, confirmed: false }, { now: NOW });
  const old = (await t.subjects.get("dave"))!;
  await t.subjects.put("dave", secret(), { ...PARAMS, confirmed: false }, { now: NOW });
  assert.equal(await t.subjects.confirm(old), "changed");
  assert.equal((await t.subjects.get("dave"))!.confirmed, false);
  await t.subjects.delete("dave");
  assert.equal(await t.subjects.confirm(old), "changed");
  assert.equal(await t.subjects.get("dave"), null, "nothing was written back");
});
