/**
 * RSA public-key operations for keys of any size, in BigInt.
 *
 * Deno's WebCrypto and `node:crypto` cannot import RSA keys over 4096 bits, and the
 * assignment's instructor key is 8192-bit. Public operations use only the public
 * exponent, so a plain modular exponentiation leaks nothing secret; the padding
 * follows RFC 8017 (OAEP §7.1.1, EME-OAEP §7.1.1 step 2; MGF1 Appendix B.2.1) with
 * SHA-256 for both the hash and MGF1, and is checked against `openssl pkeyutl`.
 *
 * @module
 */
import { bytesToBigInt, concatBytes } from "./der.ts";
import { rsaPublicNumbers } from "./rsa_keys.ts";
import { sha256 } from "./sha256.ts";

const HASH_BYTES = 32;

/** MGF1 with SHA-256 (RFC 8017 Appendix B.2.1). */
export async function mgf1Sha256(
  seed: Uint8Array,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const out = new Uint8Array(length);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  const view = new DataView(input.buffer);
  for (let counter = 0, offset = 0; offset < length; counter++, offset += HASH_BYTES) {
    view.setUint32(seed.length, counter);
    const block = await sha256(input);
    out.set(block.subarray(0, Math.min(HASH_BYTES, length - offset)), offset);
  }
  return out;
}

/** base^exponent mod modulus, square-and-multiply. */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

function integerToBytes(value: bigint, length: number): Uint8Array<ArrayBuffer> {
  const hex = value.toString(16).padStart(length * 2, "0");
  if (hex.length > length * 2) throw new RangeError("Integer too large");
  return Uint8Array.fromHex(hex);
}

/** Bytes of the modulus (k in RFC 8017). */
export function modulusBytes(bits: number): number {
  return Math.ceil(bits / 8);
}

/** The largest message RSA-OAEP with SHA-256 can carry for a key of `bits`. */
export function oaepCapacity(bits: number): number {
  return modulusBytes(bits) - 2 * HASH_BYTES - 2;
}

/**
 * RSA-OAEP encryption (SHA-256, MGF1-SHA-256, empty label) to an SPKI public key of
 * any size.
 *
 * @throws {RangeError} when the message exceeds {@linkcode oaepCapacity}
 */
export async function encryptOaepAnySize(
  spki: Uint8Array,
  message: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const { n, e, bits } = rsaPublicNumbers(spki);
  const k = modulusBytes(bits);
  const capacity = oaepCapacity(bits);
  if (message.length > capacity) {
    throw new RangeError(
      `A ${bits}-bit RSA-OAEP-SHA256 key holds at most ${capacity} bytes; the message has ${message.length}`,
    );
  }
  const labelHash = await sha256(new Uint8Array(0));
  const padding = new Uint8Array(k - message.length - 2 * HASH_BYTES - 2);
  const db = concatBytes(labelHash, padding, Uint8Array.of(1), message);
  const seed = crypto.getRandomValues(new Uint8Array(HASH_BYTES));
  const dbMask = await mgf1Sha256(seed, db.length);
  const maskedDb = db.map((byte, i) => byte ^ dbMask[i]!);
  const seedMask = await mgf1Sha256(maskedDb, HASH_BYTES);
  const maskedSeed = seed.map((byte, i) => byte ^ seedMask[i]!);
  const encoded = concatBytes(Uint8Array.of(0), maskedSeed, maskedDb);
  return integerToBytes(modPow(bytesToBigInt(encoded), e, n), k);
}

/**
 * RSA-PSS verification (SHA-256, MGF1-SHA-256, any salt length) with an SPKI public key
 * of any size (RFC 8017 §8.1.2 and EMSA-PSS-VERIFY §9.1.2).
 */
export async function verifyPssAnySize(
  spki: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  const { n, e, bits } = rsaPublicNumbers(spki);
  const k = modulusBytes(bits);
  if (signature.length !== k) return false;
  const s = bytesToBigInt(signature);
  if (s >= n) return false;
  const emBits = bits - 1;
  const emLen = Math.ceil(emBits / 8);
  const em = integerToBytes(modPow(s, e, n), k).subarray(k - emLen);
  if (em.length < HASH_BYTES + 2 || em[em.length - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - HASH_BYTES - 1);
  const h = em.subarray(emLen - HASH_BYTES - 1, emLen - 1);
  const zeroBits = 8 * emLen - emBits;
  // The leftmost 8·emLen − emBits bits must be zero.
  if (maskedDb[0]! >> (8 - zeroBits) !== 0) return false;
  const dbMask = await mgf1Sha256(h, maskedDb.length);
  const db = maskedDb.map((byte, i) => byte ^ dbMask[i]!);
  db[0]! &= 0xff >> zeroBits;
  const separator = db.indexOf(1);
  if (separator < 0 || db.subarray(0, separator).some((byte) => byte !== 0)) return false;
  const salt = db.subarray(separator + 1);
  const mHash = await sha256(message);
  const expected = await sha256(concatBytes(new Uint8Array(8), mHash, salt));
  return expected.toHex() === h.toHex();
}
