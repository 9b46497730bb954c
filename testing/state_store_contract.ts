/**
 * One contract, two stores: the Deno KV store (hermetic suite) and the Redis store (the
 * interop suite, against a real redis-server) must behave the same, atomically. Each
 * store's test file calls {@linkcode stateStoreContract} with a way to open a fresh store.
 *
 * @module
 */
import assert from "node:assert/strict";
import { freshState, type StateStore } from "../store/state_store.ts";

/** Registers the contract's tests for the store that `open` makes, named `name: ...`. */
export function stateStoreContract(name: string, open: () => Promise<StateStore>): void {
  Deno.test(`${name}: 100 concurrent updates of one subject apply exactly once each`, async () => {
    const store = await open();
    try {
      const results = await Promise.all(
        Array.from({ length: 100 }, () =>
          store.updateSubject("s", (current) => {
            const state = current ?? freshState("seed");
            // Only the first update may claim step 7.
            if (state.lastStep >= 7) return { state: null, result: false };
            return { state: { ...state, lastStep: 7 }, result: true };
          })),
      );
      assert.equal(results.filter((r) => r).length, 1);
      assert.equal((await store.getSubject("s"))?.lastStep, 7);
      // Counting increments are not lost either.
      await Promise.all(
        Array.from({ length: 50 }, () =>
          store.updateSubject(
            "s",
            (current) => ({
              state: { ...current!, failures: current!.failures + 1 },
              result: null,
            }),
          )),
      );
      assert.equal((await store.getSubject("s"))?.failures, 50);
      await store.deleteSubject("s");
      assert.equal(await store.getSubject("s"), null);
    } finally {
      store.close();
    }
  });

  Deno.test(`${name}: records, create-if-absent, delete and paged listing`, async () => {
    const store = await open();
    try {
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
    } finally {
      store.close();
    }
  });

  Deno.test(`${name}: token bucket and leases`, async () => {
    const store = await open();
    try {
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
    } finally {
      store.close();
    }
  });
}
