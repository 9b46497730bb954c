/**
 * The PBKDF2 key derivation of RFC 6030 §6.2 (PKCS #5 v2.0), for PSKC files protected
 * by a passphrase.
 *
 * @module
 */
import { pbkdf2Sync } from "node:crypto";
import { type HashName, nodeHashName } from "./algorithm_uris.ts";

/** PBKDF2 parameters as a PSKC file gives them. */
export interface Pbkdf2Params {
  salt: Uint8Array;
  iterations: number;
  keyLength: number;
  /** @default {"SHA-1"} (an empty `<PRF/>`) */
  prf?: HashName;
}

/** Most iterations accepted: a file must not be able to hold the importer for minutes. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

/**
 * Derives the encryption key from `passphrase` (UTF-8).
 *
 * @throws {RangeError} iteration count or key length out of range
 */
export function derivePbkdf2Key(passphrase: string, params: Pbkdf2Params): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(params.iterations) || params.iterations < 1) {
    throw new RangeError("The PBKDF2 iteration count must be a positive integer");
  }
  if (params.iterations > MAX_PBKDF2_ITERATIONS) {
    throw new RangeError(`The PBKDF2 iteration count is above ${MAX_PBKDF2_ITERATIONS}`);
  }
  if (![16, 24, 32].includes(params.keyLength)) {
    throw new RangeError("The PBKDF2 key length must be 16, 24 or 32 bytes");
  }
  const key = pbkdf2Sync(
    new TextEncoder().encode(passphrase),
    params.salt,
    params.iterations,
    params.keyLength,
    nodeHashName(params.prf ?? "SHA-1"),
  );
  return new Uint8Array(key);
}
