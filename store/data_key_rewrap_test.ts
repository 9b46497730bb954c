/**
 * The data key across a rotation: wrapped to a key that became decrypt-only, it is opened
 * with that key and stored wrapped to the active one by compare-and-set; replicas racing
 * at start store and report exactly one rewrap; seeds sealed before stay readable; a key
 * replaced without a rotation locks /v1 until the old key is put back as an earlier key.
 */
import assert from "node:assert/strict";
import { DataKey, type DataKeyServiceKeys, type WrappedDataKeyRecord } from "./data_key.ts";
import { KvStateStore } from "./kv_state_store.ts";
import { SubjectStore } from "./subject_store.ts";
import { DATA_KEY_KEY } from "./state_keys.ts";
import { decryptOaep } from "../crypto/rsa_oaep.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { testServiceKeys } from "../testing/service_keys.ts";

const PARAMS = {
  algorithm: "SHA1",
  digits: 6,
  period: 30,
  issuer: null,
  account_name: null,
} as const;

/** The keyring after rotating from `old` to `fresh`. */
function rotated(fresh: DataKeyServiceKeys, old: DataKeyServiceKeys): DataKeyServiceKeys {
  return { ...fresh, previous: [{ kid: old.fingerprint, privateKey: old.privateKey }] };
}

Deno.test("DataKey: wrapped to an earlier key, it opens and is rewrapped to the active key once", async () => {
  const state = await KvStateStore.open(":memory:");
  try {
    const old = await testServiceKeys("rw-old");
    const fresh = await testServiceKeys("rw-new");
    const before = await SubjectStore.open(state, old, { logger: createMemoryLogger() });
    await before.put("alice", Uint8Array.fromHex("ab".repeat(20)), PARAMS, { now: 0 });
    const original = (await state.getRecord<WrappedDataKeyRecord>(DATA_KEY_KEY))!;
    assert.equal(original.service_key, old.fingerprint);

    const rewraps: string[][] = [];
    const logger = createMemoryLogger();
    const after = await SubjectStore.open(state, rotated(fresh, old), {
      logger,
      onRewrapped: (from, to) => rewraps.push([from, to]),
    });
    assert.equal(await after.status(), "ok");
    assert.deepEqual(rewraps, [[old.fingerprint, fresh.fingerprint]]);
    const record =
      (await state.getRecord<WrappedDataKeyRecord & { rewrapped_at: string }>(DATA_KEY_KEY))!;
    assert.equal(record.service_key, fresh.fingerprint);
    assert.equal(record.created_at, original.created_at, "the data key itself is the same one");
    assert.match(record.rewrapped_at, /^\d{4}-\d\d-\d\dT/);
    // The new wrapping holds the same 32 bytes, and only the active key opens it.
    const raw = await decryptOaep(fresh.privateKey, Uint8Array.fromBase64(record.wrapped));
    assert.deepEqual(
      raw,
      await decryptOaep(old.privateKey, Uint8Array.fromBase64(original.wrapped)),
    );
    await assert.rejects(decryptOaep(old.privateKey, Uint8Array.fromBase64(record.wrapped)));
    // The seed sealed before is untouched and opens.
    assert.equal(
      (await after.load("alice"))!.record.sealed_seed,
      (await state.getRecord<{ sealed_seed: string }>(["subject_records", "alice"]))!.sealed_seed,
    );
    assert.equal((await after.secretOf((await after.get("alice"))!)).toHex(), "ab".repeat(20));
    assert.deepEqual(logger.lines.map((l) => JSON.parse(l).msg), [
      "Rewrapped the /v1 data key to the active key",
    ]);

    // The next start, and the old key alone afterwards (it is retired): nothing to do, and locked.
    const again: string[][] = [];
    const next = new DataKey(state, rotated(fresh, old), {
      logger: createMemoryLogger(),
      onRewrapped: (f, t) => again.push([f, t]),
    });
    assert.equal(await next.status(), "ok");
    assert.deepEqual(again, []);
    assert.equal(
      await new DataKey(state, old, { logger: createMemoryLogger() }).status(),
      "locked",
    );
  } finally {
    state.close();
  }
});

Deno.test("DataKey: two replicas starting together store one rewrap and agree on the key", async () => {
  const dir = await Deno.makeTempDir();
  const old = await testServiceKeys("race-old");
  const fresh = await testServiceKeys("race-new");
  const first = await KvStateStore.open(`${dir}/state.kv`);
  const second = await KvStateStore.open(`${dir}/state.kv`);
  try {
    const subjects = await SubjectStore.open(first, old, { logger: createMemoryLogger() });
    await subjects.put("bob", Uint8Array.fromHex("cd".repeat(20)), PARAMS, { now: 0 });
    for (let round = 0; round < 5; round++) {
      const rewraps: string[] = [];
      const replicas = [first, second, first, second].map((state, i) =>
        SubjectStore.open(state, rotated(fresh, old), {
          logger: createMemoryLogger(),
          onRewrapped: () => rewraps.push(`replica ${i}`),
        })
      );
      const opened = await Promise.all(replicas);
      assert.deepEqual(await Promise.all(opened.map((s) => s.status())), ["ok", "ok", "ok", "ok"]);
      assert.equal(rewraps.length, 1, `round ${round}: ${rewraps.join(", ")}`);
      for (const s of opened) {
        assert.equal((await s.secretOf((await s.get("bob"))!)).toHex(), "cd".repeat(20));
      }
      // Back to the old key for the next round.
      const raw = await decryptOaep(
        fresh.privateKey,
        Uint8Array.fromBase64((await first.getRecord<WrappedDataKeyRecord>(DATA_KEY_KEY))!.wrapped),
      );
      await first.setRecord(DATA_KEY_KEY, {
        wrapped:
          (new Uint8Array(await crypto.subtle.encrypt({ name: "RSA-OAEP" }, old.publicKey, raw)))
            .toBase64(),
        service_key: old.fingerprint,
        created_at: "2025-01-01T00:00:00.000Z",
      });
    }
  } finally {
    first.close();
    second.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DataKey: a replaced key locks /v1; the old key put back as an earlier key unlocks it", async () => {
  const state = await KvStateStore.open(":memory:");
  try {
    const old = await testServiceKeys("lost-old");
    const replacement = await testServiceKeys("lost-new");
    await new DataKey(state, old, { logger: createMemoryLogger() }).get();
    const logger = createMemoryLogger();
    assert.equal(await new DataKey(state, replacement, { logger }).status(), "locked");
    assert.match(
      JSON.parse(logger.lines[0]!).msg,
      /as KEYS_DIR\/previous\/<fingerprint>\.pem, and restart/,
    );
    assert.equal(JSON.parse(logger.lines[0]!).dataKeyWrappedTo, old.fingerprint);
    const restored = new DataKey(state, rotated(replacement, old), {
      logger: createMemoryLogger(),
    });
    assert.equal(await restored.status(), "ok");
    assert.equal(
      (await state.getRecord<WrappedDataKeyRecord>(DATA_KEY_KEY))!.service_key,
      replacement.fingerprint,
    );
  } finally {
    state.close();
  }
});

Deno.test("DataKey: the bare string of earlier versions wrapped to an earlier key is rewrapped into a record", async () => {
  const state = await KvStateStore.open(":memory:");
  try {
    const old = await testServiceKeys("bare-old");
    const fresh = await testServiceKeys("bare-new");
    const raw = crypto.getRandomValues(new Uint8Array(32));
    await state.setRecord(
      DATA_KEY_KEY,
      (new Uint8Array(await crypto.subtle.encrypt({ name: "RSA-OAEP" }, old.publicKey, raw)))
        .toBase64(),
    );
    const rewraps: string[][] = [];
    const dataKey = new DataKey(state, rotated(fresh, old), {
      logger: createMemoryLogger(),
      onRewrapped: (f, t) => rewraps.push([f, t]),
    });
    assert.equal(await dataKey.status(), "ok");
    assert.deepEqual(rewraps, [[old.fingerprint, fresh.fingerprint]]);
    const record = (await state.getRecord<WrappedDataKeyRecord>(DATA_KEY_KEY))!;
    assert.equal(record.service_key, fresh.fingerprint);
    assert.deepEqual(
      await decryptOaep(fresh.privateKey, Uint8Array.fromBase64(record.wrapped)),
      raw,
    );
  } finally {
    state.close();
  }
});
