/**
 * HOTP (RFC 4226) over WebCrypto HMAC, with the hash choices of RFC 6238.
 *
 * The HMAC key is imported once per seed ({@linkcode importHmacKey}) and passed as a
 * non-extractable `CryptoKey`, so the raw seed bytes do not have to stay reachable
 * from every request.
 *
 * @module
 */

/** Hash functions RFC 6238 allows for the HMAC. */
export type HashAlgorithm = "SHA-1" | "SHA-256" | "SHA-512";

/** Options for {@linkcode importHmacKey}. */
export interface ImportHmacKeyOptions {
  /** Hash function of the HMAC. @default {"SHA-1"} */
  algorithm?: HashAlgorithm;
}

/** Imports raw seed bytes as a non-extractable HMAC signing key. */
export function importHmacKey(
  secret: Uint8Array<ArrayBuffer>,
  options: ImportHmacKeyOptions = {},
): Promise<CryptoKey> {
  if (secret.length === 0) throw new RangeError("The HMAC secret must not be empty");
  const hash = options.algorithm ?? "SHA-1";
  return crypto.subtle.importKey("raw", secret, { name: "HMAC", hash }, false, ["sign"]);
}

/** Options for {@linkcode hotp}. */
export interface HotpOptions {
  /** Number of digits of the code, 6 to 10. @default {6} */
  digits?: number;
}

const MAX_COUNTER = 2n ** 64n - 1n;

/** Encodes a counter as the 8-byte big-endian moving factor of RFC 4226 §5.2. */
export function counterToBytes(counter: number | bigint): Uint8Array<ArrayBuffer> {
  const value = BigInt(counter);
  if (value < 0n || value > MAX_COUNTER) {
    throw new RangeError("The HOTP counter must be between 0 and 2^64 - 1");
  }
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value);
  return bytes;
}

/**
 * Computes the HOTP value for one counter: HMAC, dynamic truncation (RFC 4226 §5.3),
 * then the low `digits` decimal digits, zero-padded.
 *
 * @example
 * ```ts
 * const key = await importHmacKey(new TextEncoder().encode("12345678901234567890"));
 * await hotp(key, 0); // "755224"
 * ```
 */
export async function hotp(
  key: CryptoKey,
  counter: number | bigint,
  options: HotpOptions = {},
): Promise<string> {
  const digits = options.digits ?? 6;
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) {
    throw new RangeError("HOTP digits must be an integer from 6 to 10");
  }
  if (typeof counter === "number" && !Number.isSafeInteger(counter)) {
    throw new RangeError("The HOTP counter must be a safe integer or a bigint");
  }
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, counterToBytes(counter)));
  return truncate(mac, digits);
}

/** Dynamic truncation of RFC 4226 §5.3 followed by the decimal reduction. */
export function truncate(mac: Uint8Array, digits: number): string {
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) |
    (mac[offset + 2]! << 8) | mac[offset + 3]!;
  // 10^10 exceeds 2^31, so the modulo is a no-op for 10 digits, as the RFC intends.
  return (binary % 10 ** digits).toString().padStart(digits, "0");
}
