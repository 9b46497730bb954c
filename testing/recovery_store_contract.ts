/**
 * Recovery codes in the state store, one contract for both stores: the Deno KV store
 * (hermetic suite) and the Redis store (interop suite, a real redis-server). The Redis store
 * runs the rules as Lua, so a long sequence of attempts must give exactly the answers,
 * states and remaining codes of the pure reference, `applyRecovery()`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type StateStore, StateStoreUnavailableError } from "../store/state_store.ts";
import { applyRecovery, type RecoveryAttempt } from "../store/recovery_rules.ts";
import type { VerificationPolicy, VerificationState } from "../store/verification_rules.ts";

const STRICT: VerificationPolicy = {
  replayProtection: true,
  maxFailures: 5,
  baseLockMs: 30_000,
  maxLockMs: 900_000,
};
const T = 1_764_000_015_000;
const DIGESTS = Array.from({ length: 10 }, (_, i) => `${i}`.padStart(64, "d"));

function attempt(digest: string, overrides: Partial<RecoveryAttempt> = {}): RecoveryAttempt {
  return { subject: "s", seedId: "seed-a", digest, now: T, policy: STRICT, ...overrides };
}

/** A reproducible sequence of attempts that walks through every rule. */
function* scriptedAttempts(): Generator<RecoveryAttempt> {
  let random = 7;
  const next = (n: number) => {
    random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
    // The low bits of this generator repeat quickly; the high ones do not.
    return Math.floor(random / 2 ** 16) % n;
  };
  const policies: VerificationPolicy[] = [
    STRICT,
    { ...STRICT, maxFailures: 2, baseLockMs: 1_000, maxLockMs: 3_000 },
    { ...STRICT, maxFailures: 0 },
  ];
  let now = T;
  for (let i = 0; i < 150; i++) {
    now += [0, 1, 999, 1_000, 30_000][next(5)]!;
    // Mostly codes of the set (each works once), sometimes a wrong one.
    const digest = next(4) === 0 ? "f".repeat(64) : DIGESTS[next(DIGESTS.length)]!;
    yield attempt(digest, {
      now,
      seedId: ["seed-a", "seed-b"][next(2)]!,
      policy: policies[Math.floor(i / 50)]!,
    });
  }
}

/** Registers the contract's tests for the store `open` makes, named `name: ...`. */
export function recoveryStoreContract(name: string, open: () => Promise<StateStore>): void {
  async function withStore(fn: (store: StateStore) => Promise<void>): Promise<void> {
    const store = await open();
    try {
      await fn(store);
    } finally {
      store.close();
    }
  }

  Deno.test(`${name}: recovery codes follow applyRecovery() exactly`, async () => {
    await withStore(async (store) => {
      await store.setRecoveryCodes("s", DIGESTS);
      assert.equal(await store.countRecoveryCodes("s"), 10);
      const states = new Map<string, VerificationState | null>();
      let digests = [...DIGESTS];
      const kinds = new Set<string>();
      for (const a of scriptedAttempts()) {
        const expected = applyRecovery(states.get(a.seedId) ?? null, digests, a);
        if (expected.state !== null) states.set(a.seedId, expected.state);
        if (expected.digests !== null) digests = expected.digests;
        assert.deepEqual(await store.useRecoveryCode(a), expected.result, JSON.stringify(a));
        kinds.add(expected.result.kind);
      }
      assert.deepEqual([...kinds].sort(), ["invalid", "locked", "valid"]);
      assert.equal(digests.length, 0, "the sequence used every code");
      assert.equal(await store.countRecoveryCodes("s"), 0);
      for (const seedId of ["seed-a", "seed-b"]) {
        assert.deepEqual(await store.getVerification("s", seedId), states.get(seedId) ?? null);
      }
    });
  });

  Deno.test(`${name}: 60 concurrent uses of one recovery code: exactly one valid`, async () => {
    await withStore(async (store) => {
      await store.setRecoveryCodes("s", DIGESTS);
      const counted = { ...STRICT, maxFailures: 1_000 };
      const results = await Promise.all(
        Array.from(
          { length: 60 },
          () => store.useRecoveryCode(attempt(DIGESTS[3]!, { policy: counted })),
        ),
      );
      assert.deepEqual(results.filter((r) => r.kind === "valid"), [{
        kind: "valid",
        remaining: 9,
      }]);
      assert.equal(results.filter((r) => r.kind === "invalid").length, 59);
      assert.equal(await store.countRecoveryCodes("s"), 9);
      // The 59 late uses were failures, none lost to a race.
      assert.equal((await store.getVerification("s", "seed-a"))?.failures, 59);
      // With the default policy the late uses lock the seed: one valid, four failures, locked.
      const strict = await Promise.all(
        Array.from(
          { length: 60 },
          () => store.useRecoveryCode(attempt(DIGESTS[4]!, { seedId: "b" })),
        ),
      );
      assert.equal(strict.filter((r) => r.kind === "valid").length, 1);
      assert.equal(strict.filter((r) => r.kind === "invalid").length, 5);
      assert.equal(strict.filter((r) => r.kind === "locked").length, 54);
      assert.equal(await store.countRecoveryCodes("s"), 8);
    });
  });

  Deno.test(`${name}: recovery codes share the seed's lock, keep the replay mark, survive a new seed`, async () => {
    await withStore(async (store) => {
      await store.setRecoveryCodes("s", DIGESTS.slice(0, 2));
      // A TOTP success sets the replay mark; five wrong TOTP codes lock the seed.
      await store.recordVerification({
        subject: "s",
        seedId: "seed-a",
        matchedStep: 9,
        now: T,
        policy: STRICT,
      });
      for (let i = 0; i < 5; i++) {
        await store.recordVerification({
          subject: "s",
          seedId: "seed-a",
          matchedStep: null,
          now: T,
          policy: STRICT,
        });
      }
      assert.deepEqual(await store.useRecoveryCode(attempt(DIGESTS[0]!)), {
        kind: "locked",
        retryAfterMs: 30_000,
      });
      assert.equal(await store.countRecoveryCodes("s"), 2, "a locked attempt uses nothing");
      const later = T + 30_000;
      assert.deepEqual(await store.useRecoveryCode(attempt(DIGESTS[0]!, { now: later })), {
        kind: "valid",
        remaining: 1,
      });
      assert.deepEqual(await store.getVerification("s", "seed-a"), {
        lastStep: 9,
        failures: 0,
        lockLevel: 0,
        lockedUntil: 0,
      });
      // A new seed resets verification state, not the codes; only an empty set removes them.
      await store.deleteSubject("s");
      assert.equal(await store.countRecoveryCodes("s"), 1);
      await store.setRecoveryCodes("s", []);
      assert.equal(await store.countRecoveryCodes("s"), 0);
      assert.deepEqual(await store.useRecoveryCode(attempt(DIGESTS[1]!, { now: later })), {
        kind: "invalid",
      });
      assert.equal(await store.countRecoveryCodes("other"), 0);
    });
  });

  Deno.test(`${name}: a guarded recovery attempt is refused once its record changed or went`, async () => {
    await withStore(async (store) => {
      const key = ["records", "s"];
      await store.setRecoveryCodes("s", DIGESTS);
      await store.setRecord(key, { v: 1 });
      const guard = { key, version: (await store.getRecordVersioned(key))!.version };
      await store.setRecord(key, { v: 2 });
      assert.deepEqual(await store.useRecoveryCode(attempt(DIGESTS[0]!, { guard })), {
        kind: "stale",
      });
      const current = { key, version: (await store.getRecordVersioned(key))!.version };
      assert.deepEqual(await store.useRecoveryCode(attempt(DIGESTS[0]!, { guard: current })), {
        kind: "valid",
        remaining: 9,
      });
      await store.deleteRecord(key);
      assert.deepEqual(await store.useRecoveryCode(attempt(DIGESTS[1]!, { guard: current })), {
        kind: "missing",
      });
      assert.equal(await store.countRecoveryCodes("s"), 9, "refused attempts used nothing");
    });
  });

  Deno.test(`${name}: recovery codes fail with StateStoreUnavailableError once the store is gone`, async () => {
    const store = await open();
    store.close();
    const operations: [string, () => Promise<unknown>][] = [
      ["setRecoveryCodes", () => store.setRecoveryCodes("s", DIGESTS)],
      ["countRecoveryCodes", () => store.countRecoveryCodes("s")],
      ["useRecoveryCode", () => store.useRecoveryCode(attempt(DIGESTS[0]!))],
    ];
    for (const [operation, run] of operations) {
      await assert.rejects(run, StateStoreUnavailableError, operation);
    }
  });
}
