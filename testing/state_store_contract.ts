/**
 * One contract, two stores: the Deno KV store (hermetic suite) and the Redis store (the
 * interop suite, against a real redis-server) must behave the same, atomically. Each
 * store's test file calls {@linkcode stateStoreContract} with a way to open a fresh store.
 *
 * The verification rules are checked against their reference, the pure
 * `applyVerification()`: the Redis store runs them as Lua, so the same long sequence of
 * attempts must give the same answers and states on both.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type StateStore, StateStoreUnavailableError } from "../store/state_store.ts";
import {
  applyVerification,
  type VerificationAttempt,
  type VerificationPolicy,
  type VerificationState,
} from "../store/verification_rules.ts";

const STRICT: VerificationPolicy = {
  replayProtection: true,
  maxFailures: 5,
  baseLockMs: 30_000,
  maxLockMs: 900_000,
};
const T = 1_764_000_015_000;

function attempt(
  matchedStep: number | null,
  overrides: Partial<VerificationAttempt> = {},
): VerificationAttempt {
  return { subject: "s", seedId: "seed-a", matchedStep, now: T, policy: STRICT, ...overrides };
}

/** A reproducible sequence of attempts that walks through every rule. */
function* scriptedAttempts(): Generator<VerificationAttempt> {
  let random = 42;
  const next = (n: number) => {
    random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
    return random % n;
  };
  const policies: VerificationPolicy[] = [
    STRICT,
    { ...STRICT, maxFailures: 3, baseLockMs: 1_000, maxLockMs: 4_000 },
    { ...STRICT, replayProtection: false },
    { ...STRICT, maxFailures: 0 },
  ];
  let now = T;
  for (let i = 0; i < 400; i++) {
    now += [0, 1, 500, 1_000, 2_999, 30_000][next(6)]!;
    const step = Math.floor(now / 30_000) + next(3) - 1;
    yield attempt(next(3) === 0 ? null : step, {
      now,
      seedId: ["seed-a", "seed-b"][next(2)]!,
      policy: policies[Math.floor(i / 100)]!,
    });
  }
}

/** Registers the contract's tests for the store that `open` makes, named `name: ...`. */
export function stateStoreContract(name: string, open: () => Promise<StateStore>): void {
  async function withStore(fn: (store: StateStore) => Promise<void>): Promise<void> {
    const store = await open();
    try {
      await fn(store);
    } finally {
      store.close();
    }
  }

  Deno.test(`${name}: verifications follow applyVerification() exactly, seed by seed`, async () => {
    await withStore(async (store) => {
      const model = new Map<string, VerificationState | null>();
      const kinds = new Set<string>();
      for (const a of scriptedAttempts()) {
        const expected = applyVerification(model.get(a.seedId) ?? null, a);
        if (expected.state !== null) model.set(a.seedId, expected.state);
        const result = await store.recordVerification(a);
        assert.deepEqual(result, expected.result, `attempt ${JSON.stringify(a)}`);
        kinds.add(result.kind);
      }
      // The sequence reached every answer, so every branch was compared.
      assert.deepEqual([...kinds].sort(), ["invalid", "locked", "replay", "valid"]);
      for (const seedId of ["seed-a", "seed-b"]) {
        assert.deepEqual(await store.getVerification("s", seedId), model.get(seedId) ?? null);
      }
      assert.equal(await store.getVerification("s", "seed-c"), null);
      await store.deleteSubject("s");
      assert.equal(await store.getVerification("s", "seed-a"), null);
      assert.equal(await store.getVerification("s", "seed-b"), null);
    });
  });

  Deno.test(`${name}: 100 concurrent attempts with one fresh code: exactly one valid`, async () => {
    await withStore(async (store) => {
      const open = { ...STRICT, maxFailures: 0 };
      const results = await Promise.all(
        Array.from({ length: 100 }, () => store.recordVerification(attempt(7, { policy: open }))),
      );
      assert.equal(results.filter((r) => r.kind === "valid").length, 1);
      assert.equal(results.filter((r) => r.kind === "replay").length, 99);
      assert.equal((await store.getVerification("s", "seed-a"))?.lastStep, 7);
      // Counting increments are not lost either, and the lock lands on the fifth.
      const counted = { ...STRICT, maxFailures: 1_000 };
      await Promise.all(
        Array.from(
          { length: 50 },
          () => store.recordVerification(attempt(null, { policy: counted })),
        ),
      );
      assert.deepEqual(await store.getVerification("s", "seed-a"), {
        lastStep: 7,
        failures: 50,
        lockLevel: 0,
        lockedUntil: 0,
      });
      const locking = await Promise.all(
        Array.from({ length: 20 }, () => store.recordVerification(attempt(null, { seedId: "x" }))),
      );
      assert.equal(locking.filter((r) => r.kind === "invalid").length, 5);
      assert.equal(locking.filter((r) => r.kind === "locked").length, 15);
    });
  });

  Deno.test(`${name}: a guarded attempt is refused once its record changed or went`, async () => {
    await withStore(async (store) => {
      const key = ["records", "s"];
      assert.equal(await store.getRecordVersioned(key), null);
      await store.setRecord(key, { v: 1 });
      const first = await store.getRecordVersioned<{ v: number }>(key);
      assert.deepEqual(first?.value, { v: 1 });
      const guard = { key, version: first!.version };
      assert.deepEqual(await store.recordVerification(attempt(7, { guard })), {
        kind: "valid",
        step: 7,
      });
      // Reading does not change the version; writing another value does.
      assert.equal((await store.getRecordVersioned(key))?.version, guard.version);
      await store.setRecord(key, { v: 2 });
      const second = await store.getRecordVersioned(key);
      assert.notEqual(second?.version, guard.version);
      assert.deepEqual(await store.recordVerification(attempt(8, { guard })), { kind: "stale" });
      assert.deepEqual(await store.recordVerification(attempt(null, { guard })), {
        kind: "stale",
      });
      const after = { key, version: second!.version };
      assert.deepEqual(await store.recordVerification(attempt(8, { guard: after })), {
        kind: "valid",
        step: 8,
      });
      await store.deleteRecord(key);
      assert.deepEqual(await store.recordVerification(attempt(9, { guard: after })), {
        kind: "missing",
      });
      // Refused attempts changed nothing.
      assert.deepEqual(await store.getVerification("s", "seed-a"), {
        lastStep: 8,
        failures: 0,
        lockLevel: 0,
        lockedUntil: 0,
      });
    });
  });

  Deno.test(`${name}: records, create-if-absent, delete and paged listing`, async () => {
    await withStore(async (store) => {
      assert.equal(await store.setRecord(["things", "b"], { id: "b" }), true);
      assert.equal(await store.setRecord(["things", "a"], { id: "a" }, { ifAbsent: true }), true);
      assert.equal(await store.setRecord(["things", "a"], { id: "a2" }, { ifAbsent: true }), false);
      assert.deepEqual(await store.getRecord(["things", "a"]), { id: "a" });
      for (const id of ["c", "d", "e@x.y"]) await store.setRecord(["things", id], { id });
      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await store.listRecords<{ id: string }>(["things"], {
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.items.map((i) => i.id));
        if (page.cursor === null) break;
        cursor = page.cursor;
      }
      assert.deepEqual(seen, ["a", "b", "c", "d", "e@x.y"]);
      assert.equal(await store.deleteRecord(["things", "c"]), true);
      assert.equal(await store.deleteRecord(["things", "c"]), false);
      assert.equal(await store.getRecord(["things", "c"]), null);
      assert.deepEqual(
        (await store.listRecords<{ id: string }>(["things"], { limit: 10 })).items.map((i) => i.id),
        ["a", "b", "d", "e@x.y"],
      );
    });
  });

  Deno.test(`${name}: 50 concurrent record updates are compare-and-set, none lost`, async () => {
    const store = await open();
    try {
      const key = ["marks", "s"];
      // Every writer adds one; a lost update would leave fewer than 50.
      await Promise.all(
        Array.from(
          { length: 50 },
          () =>
            store.updateRecord<{ n: number }, null>(key, (current) => ({
              value: { n: (current?.n ?? 0) + 1 },
              result: null,
            })),
        ),
      );
      assert.deepEqual(await store.getRecord(key), { n: 50 });
      // Only one of many writers may move a mark past 10.
      const moved = await Promise.all(
        Array.from(
          { length: 20 },
          (_, i) =>
            store.updateRecord<{ n: number }, boolean>(
              key,
              (current) =>
                current!.n >= 60
                  ? { value: null, result: false }
                  : { value: { n: 60 + i }, result: true },
            ),
        ),
      );
      assert.equal(moved.filter((m) => m).length, 1);
      assert.deepEqual(
        (await store.listRecords<{ n: number }>(["marks"], { limit: 10 })).items.length,
        1,
      );
    } finally {
      store.close();
    }
  });

  Deno.test(`${name}: resetFailures() unlocks every seed of a subject and keeps its replay marks`, async () => {
    await withStore(async (store) => {
      for (let i = 0; i < 5; i++) await store.recordVerification(attempt(null));
      await store.recordVerification(attempt(3, { seedId: "seed-b" }));
      await store.recordVerification(attempt(null, { seedId: "seed-b" }));
      await store.recordVerification(attempt(9, { subject: "other" }));
      await store.recordVerification(attempt(null, { subject: "other" }));
      assert.deepEqual(await store.recordVerification(attempt(7)), {
        kind: "locked",
        retryAfterMs: 30_000,
      });
      assert.equal(await store.resetFailures("s"), 2);
      assert.deepEqual(await store.getVerification("s", "seed-a"), {
        lastStep: -1,
        failures: 0,
        lockLevel: 0,
        lockedUntil: 0,
      });
      assert.deepEqual(await store.getVerification("s", "seed-b"), {
        lastStep: 3,
        failures: 0,
        lockLevel: 0,
        lockedUntil: 0,
      });
      // Another subject is untouched; a second unlock finds nothing; the replay mark holds.
      assert.equal((await store.getVerification("other", "seed-a"))?.failures, 1);
      assert.equal(await store.resetFailures("s"), 0);
      assert.equal(await store.resetFailures("nobody"), 0);
      assert.deepEqual(await store.recordVerification(attempt(3, { seedId: "seed-b" })), {
        kind: "replay",
        step: 3,
      });
      assert.deepEqual(await store.recordVerification(attempt(7)), { kind: "valid", step: 7 });
    });
  });

  Deno.test(`${name}: concurrent unlocks: exactly one clears a lock; failures meanwhile are kept whole`, async () => {
    await withStore(async (store) => {
      await store.recordVerification(attempt(5));
      for (let i = 0; i < 5; i++) await store.recordVerification(attempt(null));
      const unlocks = await Promise.all(Array.from({ length: 10 }, () => store.resetFailures("s")));
      assert.deepEqual(unlocks.sort(), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
      const counted = { ...STRICT, maxFailures: 1_000 };
      const tasks: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        tasks.push(store.recordVerification(attempt(null, { policy: counted })));
        if (i % 4 === 0) tasks.push(store.resetFailures("s"));
      }
      const results = await Promise.all(tasks);
      assert.equal(results.filter((r) => typeof r === "number").length, 10);
      assert.equal(results.filter((r) => (r as { kind?: string }).kind === "invalid").length, 40);
      const state = await store.getVerification("s", "seed-a");
      assert.equal(state?.lastStep, 5);
      assert.equal(state?.lockedUntil, 0);
      assert.ok(state!.failures <= 40, `failures ${state!.failures}`);
      assert.equal(await store.resetFailures("s"), state!.failures > 0 ? 1 : 0);
      assert.deepEqual(await store.getVerification("s", "seed-a"), {
        lastStep: 5,
        failures: 0,
        lockLevel: 0,
        lockedUntil: 0,
      });
    });
  });

  Deno.test(`${name}: expiring records: create once, renew while present, never revive`, async () => {
    await withStore(async (store) => {
      const session = ["sessions", "abc"];
      assert.equal(
        await store.setExpiringRecord(session, { n: 1 }, 60_000, { ifPresent: true }),
        false,
      );
      assert.equal(await store.getRecord(session), null);
      assert.equal(
        await store.setExpiringRecord(session, { n: 1 }, 60_000, { ifAbsent: true }),
        true,
      );
      assert.equal(
        await store.setExpiringRecord(session, { n: 9 }, 60_000, { ifAbsent: true }),
        false,
      );
      assert.equal(
        await store.setExpiringRecord(session, { n: 2 }, 60_000, { ifPresent: true }),
        true,
      );
      assert.deepEqual(await store.getRecord(session), { n: 2 });
      // Concurrent renewals of a present record all succeed (one request never ends another's).
      const renewals = await Promise.all(
        Array.from(
          { length: 20 },
          (_, n) => store.setExpiringRecord(session, { n }, 60_000, { ifPresent: true }),
        ),
      );
      assert.deepEqual(renewals, Array(20).fill(true));
      assert.equal(await store.deleteRecord(session), true);
      assert.equal(
        await store.setExpiringRecord(session, { n: 3 }, 60_000, { ifPresent: true }),
        false,
      );
      assert.equal(await store.getRecord(session), null);
    });
  });

  Deno.test(`${name}: token bucket and leases`, async () => {
    await withStore(async (store) => {
      const options = { capacity: 2, refillPerMs: 1 / 1000, now: 1_000_000 };
      assert.deepEqual(await store.takeToken("c", options), { allowed: true, retryAfterMs: 0 });
      assert.deepEqual(await store.takeToken("c", options), { allowed: true, retryAfterMs: 0 });
      assert.deepEqual(await store.takeToken("c", options), { allowed: false, retryAfterMs: 1000 });
      assert.equal((await store.takeToken("c", { ...options, now: 1_001_000 })).allowed, true);
      const leases = await Promise.all(
        Array.from({ length: 10 }, () => store.tryLease("minute-1", 60_000)),
      );
      assert.equal(leases.filter((l) => l).length, 1);
      assert.equal(await store.ping(), true);
    });
  });

  Deno.test(`${name}: once the store is gone every operation fails with StateStoreUnavailableError, fast`, async () => {
    const store = await open();
    store.close();
    const started = performance.now();
    const operations: [string, () => Promise<unknown>][] = [
      ["getVerification", () => store.getVerification("s", "seed-a")],
      ["recordVerification", () => store.recordVerification(attempt(7))],
      ["deleteSubject", () => store.deleteSubject("s")],
      ["resetFailures", () => store.resetFailures("s")],
      ["setExpiringRecord", () => store.setExpiringRecord(["sessions", "s"], 1, 1000)],
      ["getRecord", () => store.getRecord(["records", "s"])],
      ["getRecordVersioned", () => store.getRecordVersioned(["records", "s"])],
      ["setRecord", () => store.setRecord(["records", "s"], 1)],
      ["deleteRecord", () => store.deleteRecord(["records", "s"])],
      ["listRecords", () => store.listRecords(["records"], { limit: 5 })],
      ["tryLease", () => store.tryLease("minute-2", 1000)],
    ];
    for (const [operation, run] of operations) {
      await assert.rejects(run, StateStoreUnavailableError, operation);
    }
    assert.equal(await store.ping(), false);
    // The rate limit still decides, from this process's memory.
    const options = { capacity: 1, refillPerMs: 1 / 1000, now: 1_000_000 };
    assert.deepEqual(await store.takeToken("c", options), { allowed: true, retryAfterMs: 0 });
    assert.deepEqual(await store.takeToken("c", options), { allowed: false, retryAfterMs: 1000 });
    assert.ok(performance.now() - started < 1000, "failing took a second or more");
  });
}
