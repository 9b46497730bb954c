import { withTempDir } from "../testing/temp_dir.ts";
import assert from "node:assert/strict";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import {
  generateRsaKeyPair,
  importRsaPrivateKey,
  importRsaPublicKey,
  privateKeyPemToPkcs8,
} from "../crypto/rsa_keys.ts";
import { createSeedSealer, SEALED_SEED_FILE, SEED_FILE } from "./seed_files.ts";
import { SeedStore } from "./seed_store.ts";

const SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const pair = await generateRsaKeyPair(2048);
const privateKey = await importRsaPrivateKey(privateKeyPemToPkcs8(pair.privatePem));
const sealer = createSeedSealer(privateKey, await importRsaPublicKey(pair.spki));

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

Deno.test("sealed: the ciphertext is stored as received and the plain seed is nowhere on disk", async () => {
  await withTempDir(async (dir) => {
    const store = await SeedStore.open(dir, {
      logger: createMemoryLogger(),
      atRest: "sealed",
      sealer,
    });
    const ciphertext = await sealer.seal(SEED);
    const wrapped = ciphertext.match(/.{1,64}/g)!.join("\n");
    assert.equal(await store.replace(SEED, { ciphertext: wrapped }), "set");
    assert.deepEqual(names(dir), [SEALED_SEED_FILE]);
    assert.equal(await Deno.readTextFile(`${dir}/${SEALED_SEED_FILE}`), ciphertext + "\n");
    assert.equal((await Deno.stat(`${dir}/${SEALED_SEED_FILE}`)).mode! & 0o777, 0o600);
    assert.equal(store.path, `${dir}/${SEALED_SEED_FILE}`);
    // A restart decrypts it with the private key.
    const again = await SeedStore.open(dir, {
      logger: createMemoryLogger(),
      atRest: "sealed",
      sealer,
    });
    assert.equal(again.seed?.id, store.seed?.id);
    assert.equal(await again.seed!.codeAt(1), await store.seed!.codeAt(1));
  });
});

Deno.test("switching plain -> sealed -> plain migrates the seed at start", async () => {
  await withTempDir(async (dir) => {
    const plain = await SeedStore.open(dir, {
      logger: createMemoryLogger(),
      atRest: "plain",
      sealer,
    });
    await plain.replace(SEED);
    const logger = createMemoryLogger();
    const sealed = await SeedStore.open(dir, { logger, atRest: "sealed", sealer });
    assert.equal(sealed.seed?.id, plain.seed?.id);
    assert.deepEqual(names(dir), [SEALED_SEED_FILE]);
    assert.deepEqual(JSON.parse(logger.lines[0]!).msg, "Migrated the stored seed");
    assert.equal(
      await sealer.unseal((await Deno.readTextFile(`${dir}/${SEALED_SEED_FILE}`)).trim()),
      SEED,
    );
    const back = await SeedStore.open(dir, {
      logger: createMemoryLogger(),
      atRest: "plain",
      sealer,
    });
    assert.equal(back.seed?.id, plain.seed?.id);
    assert.deepEqual(names(dir), [SEED_FILE]);
    assert.equal(await Deno.readTextFile(`${dir}/${SEED_FILE}`), SEED);
  });
});

Deno.test("an interrupted migration (both files) resolves to the form in force", async () => {
  await withTempDir(async (dir) => {
    const other = "ab".repeat(32);
    await Deno.writeTextFile(`${dir}/${SEED_FILE}`, other);
    await Deno.writeTextFile(`${dir}/${SEALED_SEED_FILE}`, await sealer.seal(SEED) + "\n");
    const sealed = await SeedStore.open(dir, {
      logger: createMemoryLogger(),
      atRest: "sealed",
      sealer,
    });
    const expected = await SeedStore.open(`${dir}/ref`, { logger: createMemoryLogger() });
    await expected.replace(SEED);
    assert.equal(sealed.seed?.id, expected.seed?.id);
    assert.deepEqual(names(dir), ["ref", SEALED_SEED_FILE]);
  });
});

Deno.test("a sealed seed for another key is reported and treated as no seed", async () => {
  await withTempDir(async (dir) => {
    const otherPair = await generateRsaKeyPair(2048);
    const otherSealer = createSeedSealer(
      await importRsaPrivateKey(privateKeyPemToPkcs8(otherPair.privatePem)),
      await importRsaPublicKey(otherPair.spki),
    );
    await Deno.writeTextFile(`${dir}/${SEALED_SEED_FILE}`, await otherSealer.seal(SEED));
    const logger = createMemoryLogger();
    const store = await SeedStore.open(dir, { logger, atRest: "sealed", sealer });
    assert.equal(store.seed, null);
    assert.equal(
      JSON.parse(logger.lines[0]!).msg,
      "The sealed seed does not decrypt with any loaded key (KEYS_DIR and KEYS_DIR/previous); " +
        "starting without a seed",
    );
    assert.deepEqual(names(dir), [SEALED_SEED_FILE], "nothing is deleted");
  });
});

Deno.test("keyring: a seed sealed to an earlier key opens, and is sealed again to the active key at start", async () => {
  await withTempDir(async (dir) => {
    const newPair = await generateRsaKeyPair(2048);
    const newPrivate = await importRsaPrivateKey(privateKeyPemToPkcs8(newPair.privatePem));
    // After a rotation: the new key is active, the old one (`sealer`'s) decrypt-only.
    const ring = createSeedSealer([newPrivate, privateKey], await importRsaPublicKey(newPair.spki));
    const oldCiphertext = await sealer.seal(SEED);
    await Deno.writeTextFile(`${dir}/${SEALED_SEED_FILE}`, oldCiphertext + "\n");
    const logger = createMemoryLogger();
    const store = await SeedStore.open(dir, { logger, atRest: "sealed", sealer: ring });
    assert.equal(store.secretHex(), SEED);
    assert.deepEqual(logger.lines.map((l) => JSON.parse(l).msg), [
      "Sealed the stored seed again, to the active key",
    ]);
    const resealed = (await Deno.readTextFile(`${dir}/${SEALED_SEED_FILE}`)).trim();
    assert.notEqual(resealed, oldCiphertext);
    assert.deepEqual(await ring.open(resealed), { hex: SEED, stale: false });
    // The new key alone now opens it: the old one can be retired.
    const newOnly = createSeedSealer(newPrivate, await importRsaPublicKey(newPair.spki));
    assert.equal(await newOnly.unseal(resealed), SEED);
    await assert.rejects(sealer.unseal(resealed));
  });
});

Deno.test("keyring: an issuer's ciphertext for an earlier key is not stored as is; the active key seals it", async () => {
  await withTempDir(async (dir) => {
    const newPair = await generateRsaKeyPair(2048);
    const newPrivate = await importRsaPrivateKey(privateKeyPemToPkcs8(newPair.privatePem));
    const ring = createSeedSealer([newPrivate, privateKey], await importRsaPublicKey(newPair.spki));
    const store = await SeedStore.open(dir, {
      logger: createMemoryLogger(),
      atRest: "sealed",
      sealer: ring,
    });
    const forOldKey = await sealer.seal(SEED);
    assert.equal(await store.replace(SEED, { ciphertext: forOldKey }), "set");
    const stored = (await Deno.readTextFile(`${dir}/${SEALED_SEED_FILE}`)).trim();
    assert.notEqual(stored, forOldKey);
    assert.deepEqual(await ring.open(stored), { hex: SEED, stale: false });
    // A ciphertext for the active key is kept exactly as received.
    const other = "ff".repeat(32);
    const forNewKey = await ring.seal(other);
    assert.equal(await store.replace(other, { ciphertext: forNewKey }), "set");
    assert.equal(await Deno.readTextFile(`${dir}/${SEALED_SEED_FILE}`), forNewKey + "\n");
  });
});
