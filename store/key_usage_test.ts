import assert from "node:assert/strict";
import { findUsesOfKey } from "./key_usage.ts";
import { DataKey } from "./data_key.ts";
import { KvStateStore } from "./kv_state_store.ts";
import { DATA_KEY_KEY } from "./state_keys.ts";
import { createSeedSealer, SEALED_SEED_FILE } from "./seed_files.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { testServiceKeys } from "../testing/service_keys.ts";
import { withTempDir } from "../testing/temp_dir.ts";

Deno.test("findUsesOfKey(): the data key (labelled or bare) and a sealed seed wrapped to the key; nothing else", async () => {
  await withTempDir(async (dir) => {
    const old = await testServiceKeys("use-old");
    const other = await testServiceKeys("use-other");
    const key = { kid: old.fingerprint, privateKey: old.privateKey };
    const state = await KvStateStore.open(":memory:");
    try {
      assert.deepEqual(await findUsesOfKey(key, { dataDir: dir, state }), []);
      assert.deepEqual(await findUsesOfKey(key, { dataDir: dir, state: null }), []);
      await new DataKey(state, old, { logger: createMemoryLogger() }).get();
      await Deno.writeTextFile(
        `${dir}/${SEALED_SEED_FILE}`,
        await createSeedSealer(old.privateKey, old.publicKey).seal("ab".repeat(32)) + "\n",
      );
      assert.deepEqual((await findUsesOfKey(key, { dataDir: dir, state })).map((u) => u.what), [
        "the /v1 data key (in the state store) is wrapped to this key",
        `the sealed seed "${dir}/${SEALED_SEED_FILE}" is encrypted to this key`,
      ]);
      // The record of an earlier version, a bare string: found by unwrapping.
      const bare = (await state.getRecord<{ wrapped: string }>(DATA_KEY_KEY))!.wrapped;
      await state.setRecord(DATA_KEY_KEY, bare);
      assert.equal((await findUsesOfKey(key, { dataDir: dir, state })).length, 2);
      // Another key's data key and sealed seed do not count.
      await state.deleteRecord(DATA_KEY_KEY);
      await new DataKey(state, other, { logger: createMemoryLogger() }).get();
      await Deno.writeTextFile(
        `${dir}/${SEALED_SEED_FILE}`,
        await createSeedSealer(other.privateKey, other.publicKey).seal("ab".repeat(32)),
      );
      assert.deepEqual(await findUsesOfKey(key, { dataDir: dir, state }), []);
    } finally {
      state.close();
    }
  });
});
