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
import { verifyPssAnySize } from "../crypto/rsa_public_any_size.ts";
import { auditContext } from "../middleware/context.ts";
import type { RouteDeps } from "./route_deps.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Options for {@linkcode receiveSeed}. */
export interface ReceiveSeedOptions {
  /** Subject the seed is for, for the audit log. */
  subject: string;
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
  function reject(reason: string, status: 401 | 500, message: string): never {
    deps.audit.record("seed.rejected", auditContext(c, { subject: options.subject, reason }));
    deps.metrics.seedDecrypt("rejected");
    throw new HTTPException(status, { message });
  }
  const problem = await signatureProblem(deps, body.encrypted_seed, body.signature);
  if (problem === "signature missing") reject(problem, 401, "Seed signature required");
  if (problem !== null) reject(problem, 401, "Invalid seed signature");
  const hex = await decryptHex(deps.privateKey, body.encrypted_seed, options.hexPattern);
  if (hex === null) reject("decryption", 500, "Decryption failed");
  return hex;
}

/** Decodes, decrypts and checks a seed; `null` whatever the cause. */
async function decryptHex(
  privateKey: CryptoKey,
  encryptedSeed: string,
  pattern: RegExp,
): Promise<string | null> {
  try {
    // fromBase64 skips ASCII whitespace, so PEM-style line breaks are fine.
    const plaintext = utf8.decode(
      await decryptOaep(privateKey, Uint8Array.fromBase64(encryptedSeed)),
    );
    return pattern.test(plaintext) ? plaintext.toLowerCase() : null;
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
