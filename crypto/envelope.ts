/**
 * Envelope encryption of secrets at rest: each secret is sealed with AES-256-GCM under a
 * data key, and the data key itself is stored only RSA-OAEP-wrapped to the service's
 * public key. A dump of the store alone therefore reveals no secret; every replica that
 * holds the private key can unwrap the same data key.
 *
 * @module
 */
import { decryptOaep, encryptOaep } from "./rsa_oaep.ts";
import { concatBytes } from "./der.ts";

const IV_BYTES = 12;

/** A fresh 256-bit data key, wrapped to `publicKey` (RSA-OAEP), base64. */
export async function createWrappedDataKey(publicKey: CryptoKey): Promise<string> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  try {
    return (await encryptOaep(publicKey, raw)).toBase64();
  } finally {
    raw.fill(0);
  }
}

/** Unwraps a data key as a non-extractable AES-GCM key. */
export async function unwrapDataKey(privateKey: CryptoKey, wrapped: string): Promise<CryptoKey> {
  const raw = await decryptOaep(privateKey, Uint8Array.fromBase64(wrapped));
  try {
    return await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  } finally {
    raw.fill(0);
  }
}

/**
 * Seals `secret` under `key`; `context` (for example the subject id) is bound as
 * associated data, so a sealed value moved to another record does not open.
 *
 * @returns base64 of IV ‖ ciphertext ‖ tag
 */
export async function sealSecret(
  key: CryptoKey,
  secret: Uint8Array<ArrayBuffer>,
  context: string,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const additionalData = new TextEncoder().encode(context);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, secret);
  return concatBytes(iv, new Uint8Array(sealed)).toBase64();
}

/** Opens a value made by {@linkcode sealSecret} with the same key and context. */
export async function openSecret(
  key: CryptoKey,
  sealed: string,
  context: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = Uint8Array.fromBase64(sealed);
  const additionalData = new TextEncoder().encode(context);
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES), additionalData },
        key,
        bytes.subarray(IV_BYTES),
      ),
    );
  } catch {
    throw new TypeError("The sealed secret does not open with this key and context");
  }
}

/** A raw 256-bit data key as a non-extractable AES-GCM key. */
export async function importDataKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** Wraps an existing raw data key to `publicKey` (RSA-OAEP), base64: a rewrap to a new key. */
export async function wrapDataKey(
  publicKey: CryptoKey,
  raw: Uint8Array<ArrayBuffer>,
): Promise<string> {
  return (await encryptOaep(publicKey, raw)).toBase64();
}
