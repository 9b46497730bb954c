import assert from "node:assert/strict";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { withTempDir } from "../testing/temp_dir.ts";
import {
  generateRsaKeyPair,
  importRsaPrivateKey,
  importRsaPublicKey,
  spkiFingerprint,
} from "../crypto/rsa_keys.ts";
import { privateKeyPemToPkcs8 } from "../crypto/rsa_keys.ts";
import { KvStateStore } from "./kv_state_store.ts";
import { SeedStore } from "./seed_store.ts";
import { SharedSeedStore } from "./shared_seed_store.ts";
import { SubjectStore } from "./subject_store.ts";
import { defaultSeedLookup } from "./seed_source.ts";
import { verifySubject } from "./verifier.ts";
import { DEFAULT_SUBJECT, StateStoreUnavailableError } from "./state_store.ts";
import { SubjectStoreLockedError } from "./data_key.ts";

const SEED_A = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SEED_B = "ab".repeat(32);
const SEED_C = "cd".repeat(32);
const NOW = 1_764_000_015_000; // SEED_A's code is 557321
const POLICY = { replayProtection: true, maxFailures: 5 };

const makeKeyPair = () =>
  generateRsaKeyPair(2048).then(async (pem) => ({
    privateKey: await importRsaPrivateKey(privateKeyPemToPkcs8(pem.privatePem)),
    publicKey: await importRsaPublicKey(pem.spki),
    fingerprint: await spkiFingerprint(pem.spki),
  }));
const keyPair = makeKeyPair();

/** Two replicas in one process: each its own DATA_DIR, one state store between them. */
async function withReplicas(
  fn: (t: {
    state: KvStateStore;
    replica: (
      name: string,
      seed?: string,
      pollMs?: number,
      keys?: Awaited<typeof keyPair>,
    ) => Promise<SharedSeedStore>;
    seedFile: (name: string) => Promise<string | null>;
  }) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const state = await KvStateStore.open(":memory:");
    const opened: SharedSeedStore[] = [];
    try {
      await fn({
        state,
        async replica(name, seed, pollMs = 50, keys) {
          const local = await SeedStore.open(`${dir}/${name}`, { logger: createMemoryLogger() });
          if (seed) await local.replace(seed);
          const subjects = await SubjectStore.open(state, keys ?? await keyPair, {
            logger: createMemoryLogger(),
          });
          const shared = await SharedSeedStore.open(local, subjects, {
            logger: createMemoryLogger(),
            pollMs,
            now: () => NOW,
          });
          opened.push(shared);
          return shared;
        },
        seedFile: (name) => Deno.readTextFile(`${dir}/${name}/seed.txt`).catch(() => null),
      });
    } finally {
      for (const shared of opened) shared.close();
      state.close();
    }
  });
}

Deno.test("SharedSeedStore: the first replica publishes its seed; one without a seed takes it and writes its file", async () => {
  await withReplicas(async ({ replica, seedFile }) => {
    const a = await replica("a", SEED_A);
    const b = await replica("b");
    assert.equal(a.secretHex(), SEED_A);
    assert.equal(b.secretHex(), SEED_A);
    assert.equal(await seedFile("b"), SEED_A);
    assert.equal(a.seed!.id, b.seed!.id);
    assert.equal(a.guard?.version, b.guard?.version);
    // A replica starting with another seed file: the store is the source of truth.
    const c = await replica("c", SEED_C);
    assert.equal(c.secretHex(), SEED_A);
    assert.equal(await seedFile("c"), SEED_A);
  });
});

Deno.test("SharedSeedStore: a seed posted to A is served by B within a second, and verifies on B at once", async () => {
  await withReplicas(async ({ replica, seedFile, state }) => {
    const a = await replica("a", SEED_B);
    // B does not poll during this test's first part: only the verification can tell it.
    const b = await replica("b", undefined, 60_000);
    assert.equal(await a.replace(SEED_A), "set");
    assert.equal(await a.replace(SEED_A.toUpperCase()), "unchanged");
    // Before B has read the record: the store refuses B's stale seed, B reads the new one.
    assert.equal(b.secretHex(), SEED_B);
    const outcome = await verifySubject("557321", defaultSeedLookup(b), {
      store: state,
      subject: DEFAULT_SUBJECT,
      policy: POLICY,
      now: NOW,
    });
    assert.deepEqual(outcome, { kind: "valid", step: NOW / 30_000 | 0 });
    assert.equal(b.secretHex(), SEED_A);
    // The code is used up on A too: one state per seed, shared.
    assert.deepEqual(
      await verifySubject("557321", defaultSeedLookup(a), {
        store: state,
        subject: DEFAULT_SUBJECT,
        policy: POLICY,
        now: NOW,
      }),
      { kind: "replay", step: NOW / 30_000 | 0 },
    );
    // Without any verification, a polling replica's file follows.
    const c = await replica("c");
    await a.replace(SEED_C);
    const started = Date.now();
    // The file is renamed into place a moment before the seed in memory switches.
    while (await seedFile("c") !== SEED_C || c.secretHex() !== SEED_C) {
      assert.ok(Date.now() - started < 1000, "C did not follow within a second");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
});

Deno.test("SharedSeedStore: a store that does not answer changes nothing and keeps the seed in force", async () => {
  await withReplicas(async ({ replica, seedFile, state }) => {
    const a = await replica("a", SEED_A);
    a.close();
    state.close();
    await assert.rejects(a.replace(SEED_B), StateStoreUnavailableError);
    await assert.rejects(a.refresh(), StateStoreUnavailableError);
    assert.equal(a.secretHex(), SEED_A);
    assert.equal(await seedFile("a"), SEED_A);
    await assert.rejects(a.replace("not hex"), RangeError);
  });
});

Deno.test("SharedSeedStore: a replica whose key cannot open the shared seed starts on its own file", async () => {
  await withReplicas(async ({ replica, seedFile }) => {
    await replica("a", SEED_A);
    const b = await replica("b", SEED_B, 60_000, await makeKeyPair());
    assert.equal(b.secretHex(), SEED_B);
    assert.equal(await seedFile("b"), SEED_B);
    assert.equal(b.guard, undefined);
    await assert.rejects(b.replace(SEED_C), SubjectStoreLockedError);
    assert.equal(await seedFile("b"), SEED_B);
  });
});
