import assert from "node:assert/strict";
import { KvStateStore } from "./kv_state_store.ts";
import { withTempDir } from "../testing/temp_dir.ts";

Deno.test("KvStateStore.open() moves pre-upgrade single states under their seed id, once", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/state.kv`;
    const kv = await Deno.openKv(path);
    // The layout before states were kept per seed: one state per subject, its seed inside.
    await kv.set(["subjects", "default", "state"], {
      seedId: "old-seed",
      lastStep: 58_800_000,
      failures: 2,
      lockLevel: 1,
      lockedUntil: 1_764_000_100_000,
    });
    await kv.set(["subjects", "bob", "state"], {
      seedId: "bob-seed",
      lastStep: 7,
      failures: 0,
      lockLevel: 0,
      lockedUntil: 0,
    });
    kv.close();
    let store = await KvStateStore.open(path);
    assert.deepEqual(await store.getVerification("default", "old-seed"), {
      lastStep: 58_800_000,
      failures: 2,
      lockLevel: 1,
      lockedUntil: 1_764_000_100_000,
    });
    assert.equal((await store.getVerification("bob", "bob-seed"))?.lastStep, 7);
    store.close();
    const raw = await Deno.openKv(path);
    assert.equal((await raw.get(["subjects", "default", "state"])).versionstamp, null);
    // A legacy key written after the migration is left alone: the migration ran once.
    await raw.set(["subjects", "carol", "state"], { seedId: "c", lastStep: 1 });
    raw.close();
    store = await KvStateStore.open(path);
    assert.equal(await store.getVerification("carol", "c"), null);
    store.close();
  });
});
