/**
 * Receiving an encrypted seed, shared by `POST /decrypt-seed` and
 * `PUT /v1/subjects/{id}/seed`: the issuer signature check, then RSA-OAEP decryption to a
 * hex seed. Every decryption failure gives the same answer (no padding oracle); the
 * reasons go only to the audit log.
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { decryptOaep } from "../crypto/rsa_oaep.ts";
import { modulusBytes, oaepCapacity, verifyPssAnySize } from "../crypto/rsa_public_any_size.ts";
import { auditContext } from "../middleware/context.ts";
import type { RouteDeps } from "./route_deps.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Options for {@linkcode receivePlaintext}. */
export interface ReceivePlaintextOptions {
  /** Subject the seed is for, for the audit log. */
  subject: string;
  /**
   * Answer 400 naming the plaintext limit when the ciphertext is longer than one RSA block
   * (someone tried to send a plaintext that does not fit). The assignment's
   * `/decrypt-seed` keeps its 500 for every bad ciphertext. @default {false}
   */
  explainOversize?: boolean;
}

/** Options for {@linkcode receiveSeed}. */
export interface ReceiveSeedOptions extends ReceivePlaintextOptions {
  /** Accepted plaintext: the assignment takes exactly 64 hex characters. */
  hexPattern: RegExp;
}

/**
 * Checks the signature (when given or required) and decrypts `encryptedSeed`.
 *
 * @returns the seed as lower-case hex
 * @throws {HTTPException} 401 for a missing or bad signature, 500 "Decryption failed" for
 *   anything else; both are audited as `seed.rejected`
 */
export async function receiveSeed(
  c: Context,
  deps: RouteDeps,
  body: { encrypted_seed: string; signature?: unknown },
  options: ReceiveSeedOptions,
): Promise<string> {
  const plaintext = await receivePlaintext(c, deps, body, options);
  if (!options.hexPattern.test(plaintext)) {
    rejectSeed(c, deps, options.subject, "decryption", 500, "Decryption failed");
  }
  return plaintext.toLowerCase();
}

/**
 * Checks the signature (when given or required) and decrypts `encryptedSeed` to UTF-8
 * text, which the caller then checks (a hex seed, or an otpauth URI on /v1).
 *
 * @throws {HTTPException} 401 for a missing or bad signature, 400 for an oversized
 *   ciphertext with `explainOversize`, 500 "Decryption failed" for anything else; all are
 *   audited as `seed.rejected`
 */
export async function receivePlaintext(
  c: Context,
  deps: RouteDeps,
  body: { encrypted_seed: string; signature?: unknown },
  options: ReceivePlaintextOptions,
): Promise<string> {
  const reject = (reason: string, status: 400 | 401 | 500, message: string): never =>
    rejectSeed(c, deps, options.subject, reason, status, message);
  const problem = await signatureProblem(deps, body.encrypted_seed, body.signature);
  if (problem === "signature missing") reject(problem, 401, "Seed signature required");
  if (problem !== null) reject(problem, 401, "Invalid seed signature");
  const ciphertext = decodeBase64(body.encrypted_seed);
  const bits = (deps.privateKey.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  if (options.explainOversize && ciphertext !== null && ciphertext.length > modulusBytes(bits)) {
    reject(
      "ciphertext longer than one RSA block",
      400,
      `encrypted_seed is ${ciphertext.length} bytes, more than one RSA-${bits} block (${
        modulusBytes(bits)
      }): RSA-OAEP-SHA256 carries at most ${
        oaepCapacity(bits)
      } bytes of plaintext (hex seed or otpauth URI)`,
    );
  }
  const plaintext = ciphertext === null ? null : await decryptText(deps.privateKey, ciphertext);
  return plaintext ?? reject("decryption", 500, "Decryption failed");
}

/** Audits and metres a refused seed, then throws the answer. */
export function rejectSeed(
  c: Context,
  deps: RouteDeps,
  subject: string,
  reason: string,
  status: 400 | 401 | 500,
  message: string,
): never {
  deps.audit.record("seed.rejected", auditContext(c, { subject, reason }));
  deps.metrics.seedDecrypt("rejected");
  throw new HTTPException(status, { message });
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    // fromBase64 skips ASCII whitespace, so PEM-style line breaks are fine.
    return Uint8Array.fromBase64(text);
  } catch {
    return null;
  }
}

/** Decrypts to UTF-8 text; `null` whatever the cause. */
async function decryptText(
  privateKey: CryptoKey,
  ciphertext: Uint8Array<ArrayBuffer>,
): Promise<string | null> {
  try {
    return utf8.decode(await decryptOaep(privateKey, ciphertext));
  } catch {
    // The cause must not change the answer (no padding oracle).
    return null;
  }
}

/**
 * Checks the issuer's RSA-PSS signature over the ASCII of `encrypted_seed`.
 *
 * @returns `null` when acceptable, else the reason for the audit log
 */
async function signatureProblem(
  deps: RouteDeps,
  encryptedSeed: string,
  signature: unknown,
): Promise<string | null> {
  const { issuerSpki, requireSeedSignature } = deps.security;
  if (signature === undefined || signature === null) {
    return requireSeedSignature ? "signature missing" : null;
  }
  if (typeof signature !== "string") return "signature not a string";
  if (issuerSpki === null) return "no issuer key to verify with";
  try {
    const valid = await verifyPssAnySize(
      issuerSpki,
      Uint8Array.fromBase64(signature),
      new TextEncoder().encode(encryptedSeed),
    );
    return valid ? null : "signature invalid";
  } catch {
    return "signature not base64";
  }
}
