/**
 * Service key pairs for store tests, as `loadServiceKeys` would give them (both halves
 * imported and the SPKI fingerprint), generated once per pair name and test run.
 *
 * @module
 */
import {
  generateRsaKeyPair,
  importRsaPrivateKey,
  importRsaPublicKey,
  privateKeyPemToPkcs8,
  spkiFingerprint,
} from "../crypto/rsa_keys.ts";
import type { DataKeyServiceKeys } from "../store/data_key.ts";

const pairs = new Map<string, Promise<DataKeyServiceKeys>>();

async function make(): Promise<DataKeyServiceKeys> {
  const pem = await generateRsaKeyPair(2048);
  return {
    privateKey: await importRsaPrivateKey(privateKeyPemToPkcs8(pem.privatePem)),
    publicKey: await importRsaPublicKey(pem.spki),
    fingerprint: await spkiFingerprint(pem.spki),
  };
}

/** A 2048-bit service key pair; the same `name` gives the same pair within a test run. */
export function testServiceKeys(name = "a"): Promise<DataKeyServiceKeys> {
  let pair = pairs.get(name);
  if (pair === undefined) pairs.set(name, pair = make());
  return pair;
}
