import assert from "node:assert/strict";
import type { CodeAt } from "../crypto/totp.ts";
import { KvStateStore } from "./kv_state_store.ts";
import type { Seed } from "./seed_store.ts";
import {
  type GuardedOutcome,
  resolvePolicy,
  type SeedInForce,
  verifyGuarded,
  type VerifyPolicy,
  verifySubject,
} from "./verifier.ts";
import { lockDuration } from "./verification_rules.ts";

// A seed whose code for step n is n's last six digits, so tests can name codes directly.
const codeAt: CodeAt = (counter) =>
  Promise.resolve(String(Number(counter) % 1_000_000).padStart(6, "0"));
const SEED: Seed = { id: "seed-a", codeAt };
const OTHER_SEED: Seed = { id: "seed-b", codeAt };
const STEP = 58_800_000; // 1_764_000_000 s / 30
const T = STEP * 30_000 + 15_000; // the middle of STEP
const code = (step: number) => String(step % 1_000_000).padStart(6, "0");
const POLICY: VerifyPolicy = { replayProtection: true, maxFailures: 5 };

async function withStore(fn: (store: KvStateStore) => Promise<void>): Promise<void> {
  const store = await KvStateStore.open(":memory:");
  try {
    await fn(store);
  } finally {
    store.close();
  }
}

function verify(
  store: KvStateStore,
  c: string,
  now = T,
  policy = POLICY,
  seed = SEED,
): Promise<GuardedOutcome> {
  return verifyGuarded(seed, c, { store, subject: "default", policy, now });
}

Deno.test("a code is accepted once; the replay answers replay", async () => {
  await withStore(async (store) => {
    assert.deepEqual(await verify(store, code(STEP)), { kind: "valid", step: STEP });
    assert.deepEqual(await verify(store, code(STEP)), { kind: "replay", step: STEP });
    assert.equal((await store.getVerification("default", SEED.id))?.lastStep, STEP);
  });
});

Deno.test("an older code still in the window is refused once a newer one was used", async () => {
  await withStore(async (store) => {
    assert.deepEqual(await verify(store, code(STEP + 1)), { kind: "valid", step: STEP + 1 });
    assert.deepEqual(await verify(store, code(STEP)), { kind: "replay", step: STEP });
    assert.deepEqual(await verify(store, code(STEP - 1)), { kind: "replay", step: STEP - 1 });
    // The next step's code is fresh again, 30 s later.
    assert.deepEqual(await verify(store, code(STEP + 2), T + 30_000), {
      kind: "valid",
      step: STEP + 2,
    });
  });
});

Deno.test("100 concurrent verifications of one code: exactly one is valid", async () => {
  await withStore(async (store) => {
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, () => verify(store, code(STEP))),
    );
    const count = (kind: string) => outcomes.filter((o) => o.kind === kind).length;
    // Replays are failures too: the fifth locks the subject for everyone after it.
    assert.deepEqual([count("valid"), count("replay"), count("locked")], [1, 5, 94]);
    const open = { replayProtection: true, maxFailures: 0 };
    const unthrottled = await Promise.all(
      Array.from({ length: 100 }, () => verify(store, code(STEP + 1), T, open)),
    );
    assert.equal(unthrottled.filter((o) => o.kind === "valid").length, 1);
    assert.equal(unthrottled.filter((o) => o.kind === "replay").length, 99);
  });
});

Deno.test("malformed codes never reach the state", async () => {
  await withStore(async (store) => {
    for (const bad of [" 123456", "１２３４５６", "123456\n", "12345", ""]) {
      assert.deepEqual(await verify(store, bad), { kind: "malformed" });
    }
    assert.equal(await store.getVerification("default", SEED.id), null);
  });
});

Deno.test("throttling: 5 failures lock for 30 s, each failure after a lock doubles it, up to 15 min", async () => {
  await withStore(async (store) => {
    let now = T;
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await verify(store, "999999", now), { kind: "invalid" });
    }
    // Locked: even the right code is refused and its step is not used up.
    assert.deepEqual(await verify(store, code(STEP), now), {
      kind: "locked",
      retryAfterMs: 30_000,
    });
    assert.deepEqual(await verify(store, code(STEP), now + 29_999), {
      kind: "locked",
      retryAfterMs: 1,
    });
    const expected = [60_000, 120_000, 240_000, 480_000, 900_000, 900_000];
    now += 30_000;
    for (const duration of expected) {
      assert.deepEqual(await verify(store, "999999", now), { kind: "invalid" });
      assert.deepEqual(await verify(store, "999999", now), {
        kind: "locked",
        retryAfterMs: duration,
      });
      now += duration;
    }
  });
});

Deno.test("throttling: a success resets the failures and the doubling", async () => {
  await withStore(async (store) => {
    for (let i = 0; i < 5; i++) await verify(store, "999999");
    const after = T + 30_000; // lock over; step STEP+1 is current
    assert.deepEqual(await verify(store, code(STEP + 1), after), { kind: "valid", step: STEP + 1 });
    assert.deepEqual(await store.getVerification("default", SEED.id), {
      lastStep: STEP + 1,
      failures: 0,
      lockLevel: 0,
      lockedUntil: 0,
    });
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(await verify(store, "999999", after), { kind: "invalid" });
    }
    assert.deepEqual(await verify(store, code(STEP + 2), after + 30_000), {
      kind: "valid",
      step: STEP + 2,
    });
  });
});

Deno.test("a replay counts as a failure towards the lock", async () => {
  await withStore(async (store) => {
    await verify(store, code(STEP));
    for (let i = 0; i < 5; i++) assert.equal((await verify(store, code(STEP))).kind, "replay");
    assert.equal((await verify(store, code(STEP + 1))).kind, "locked");
  });
});

Deno.test("a new seed starts from a fresh state; the old seed keeps its marks and lock", async () => {
  await withStore(async (store) => {
    await verify(store, code(STEP));
    for (let i = 0; i < 5; i++) await verify(store, "999999");
    assert.equal((await verify(store, code(STEP + 1))).kind, "locked");
    assert.deepEqual(await verify(store, code(STEP), T, POLICY, OTHER_SEED), {
      kind: "valid",
      step: STEP,
    });
    // Two seeds never reset each other: seed A is still locked, and its used code stays used.
    assert.deepEqual(await verify(store, code(STEP + 1)), {
      kind: "locked",
      retryAfterMs: 30_000,
    });
    assert.deepEqual(await verify(store, code(STEP), T + 30_000), { kind: "replay", step: STEP });
    assert.deepEqual(await verify(store, code(STEP), T, POLICY, OTHER_SEED), {
      kind: "replay",
      step: STEP,
    });
  });
});

Deno.test("verifySubject() uses the held seed while its record is current and reloads once it changed", async () => {
  await withStore(async (store) => {
    const key = ["subject_records", "s"];
    await store.setRecord(key, { seed: "a" });
    const versionA = (await store.getRecordVersioned(key))!.version;
    const lookups: boolean[] = [];
    let held: SeedInForce = { seed: SEED, guard: { key, version: versionA } };
    const lookup = async (fresh: boolean) => {
      lookups.push(fresh);
      if (fresh) {
        const found = await store.getRecordVersioned<{ seed: string }>(key);
        if (found === null) return null;
        held = {
          seed: found.value.seed === "a" ? SEED : OTHER_SEED,
          guard: { key, version: found.version },
        };
      }
      return held;
    };
    const options = { store, subject: "s", policy: POLICY, now: T };
    assert.deepEqual(await verifySubject(code(STEP), lookup, options), {
      kind: "valid",
      step: STEP,
    });
    assert.deepEqual(lookups, [false]);
    // Another replica replaces the seed: the held one is refused, the new one is read.
    await store.setRecord(key, { seed: "b" });
    assert.deepEqual(await verifySubject(code(STEP), lookup, options), {
      kind: "valid",
      step: STEP,
    });
    assert.deepEqual(lookups, [false, false, true]);
    assert.equal((await store.getVerification("s", OTHER_SEED.id))?.lastStep, STEP);
    // And deletes it: no seed, no state touched.
    await store.deleteRecord(key);
    assert.equal(await verifySubject("999999", lookup, options), null);
    assert.equal((await store.getVerification("s", OTHER_SEED.id))?.failures, 0);
  });
});

Deno.test("REPLAY_PROTECTION=false accepts a code again; THROTTLE_MAX_FAILURES=0 never locks", async () => {
  await withStore(async (store) => {
    const open = { replayProtection: false, maxFailures: 0 };
    for (let i = 0; i < 3; i++) {
      assert.equal((await verify(store, code(STEP), T, open)).kind, "valid");
    }
    for (let i = 0; i < 20; i++) {
      assert.equal((await verify(store, "999999", T, open)).kind, "invalid");
    }
    assert.equal(
      await store.getVerification("default", SEED.id),
      null,
      "the open policy needs no state at all",
    );
    const replayOnly = { replayProtection: true, maxFailures: 0 };
    assert.equal((await verify(store, code(STEP), T, replayOnly)).kind, "valid");
    for (let i = 0; i < 20; i++) {
      assert.equal((await verify(store, "999999", T, replayOnly)).kind, "invalid");
    }
    assert.equal((await verify(store, code(STEP + 1), T, replayOnly)).kind, "valid");
  });
});

Deno.test("lockDuration() doubles from 30 s and stops at 15 min", () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 40].map((level) => lockDuration(level, resolvePolicy(POLICY))),
    [
      30_000,
      60_000,
      120_000,
      240_000,
      480_000,
      900_000,
      900_000,
      900_000,
    ],
  );
});

Deno.test("the replay mark and the lock survive reopening the KV file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let store = await KvStateStore.open(`${dir}/state.kv`);
    await verify(store, code(STEP));
    store.close();
    store = await KvStateStore.open(`${dir}/state.kv`);
    assert.equal((await verify(store, code(STEP))).kind, "replay");
    for (let i = 0; i < 4; i++) await verify(store, "999999");
    store.close();
    store = await KvStateStore.open(`${dir}/state.kv`);
    assert.deepEqual(await verify(store, code(STEP + 1)), { kind: "locked", retryAfterMs: 30_000 });
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
