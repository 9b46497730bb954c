/**
 * Receiving an encrypted seed, shared by `POST /decrypt-seed` and
 * `PUT /v1/subjects/{id}/seed`: the issuer signature and freshness checks, then RSA-OAEP
 * decryption to a hex seed with any key of the keyring (the active one, then the earlier ones
 * not yet retired). Every decryption failure gives the same answer (no padding oracle, and
 * nothing about which key was tried); the reasons go only to the audit log.
 *
 * A signature covers the versioned message of crypto/seed_message.ts (subject, service key,
 * `issued_at`, ciphertext). A signed seed issued more than 10 minutes ago is stale here;
 * one not newer than the last accepted for its subject is stale at the store, where the
 * check and the write are one step ({@linkcode SeedMarks}).
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { decryptOaepWithAny } from "../crypto/rsa_oaep.ts";
import { modulusBytes, oaepCapacity, verifyPssAnySize } from "../crypto/rsa_public_any_size.ts";
import { parseIssuedAt, seedMessage } from "../crypto/seed_message.ts";
import { auditContext } from "../middleware/context.ts";
import type { RouteDeps } from "./route_deps.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** How old a signed seed may be when it arrives. */
export const MAX_SEED_AGE_MS = 10 * 60_000;
/** How far ahead of the service's clock a signed seed's `issued_at` may be. */
export const MAX_SEED_CLOCK_SKEW_MS = 5 * 60_000;

/** The answer to a seed that is not newer than the one in force, or too old. */
export const STALE_SEED = "Stale seed";

/** Options for {@linkcode receivePlaintext}. */
export interface ReceivePlaintextOptions {
  /** Subject the seed is for: part of the signed message, and for the audit log. */
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

/** A received seed. */
export interface ReceivedSeed {
  /** The seed as lower-case hex. */
  hex: string;
  /** `issued_at` of a signed seed (ms since the epoch), or `null` for an unsigned one. */
  issuedAt: number | null;
}

/** What the routes pass in: the body as parsed, signature fields still unchecked. */
export interface SeedBody {
  encrypted_seed: string;
  signature?: unknown;
  issued_at?: unknown;
}

/**
 * Checks the signature (when given or required) and its freshness, and decrypts
 * `encrypted_seed`.
 *
 * @throws {HTTPException} 400 for a malformed `issued_at`, 401 for a missing or bad
 *   signature, 409 "Stale seed" for one issued over 10 minutes ago, 500 "Decryption failed"
 *   for anything else; all audited as `seed.rejected`
 */
export async function receiveSeed(
  c: Context,
  deps: RouteDeps,
  body: SeedBody,
  options: ReceiveSeedOptions,
): Promise<ReceivedSeed> {
  const { plaintext, issuedAt } = await receivePlaintext(c, deps, body, options);
  if (!options.hexPattern.test(plaintext)) {
    rejectSeed(c, deps, options.subject, "decryption", 500, "Decryption failed");
  }
  return { hex: plaintext.toLowerCase(), issuedAt };
}

/** A decrypted plaintext and, for a signed seed, its `issued_at`. */
export interface ReceivedPlaintext {
  plaintext: string;
  /** `issued_at` of a signed seed (ms since the epoch), or `null` for an unsigned one. */
  issuedAt: number | null;
}

/**
 * Checks the signature (when given or required) and its age, and decrypts `encryptedSeed`
 * to UTF-8 text, which the caller then checks (a hex seed, or an otpauth URI on /v1).
 *
 * @throws {HTTPException} 401 for a missing or bad signature, 400 for a malformed
 *   `issued_at` or (with `explainOversize`) an oversized ciphertext, 409 "Stale seed" for a
 *   seed issued over 10 minutes ago, 500 "Decryption failed" for anything else; all are
 *   audited as `seed.rejected`
 */
export async function receivePlaintext(
  c: Context,
  deps: RouteDeps,
  body: SeedBody,
  options: ReceivePlaintextOptions,
): Promise<ReceivedPlaintext> {
  function reject(reason: string, status: ContentfulStatusCode, message: string): never {
    return rejectSeed(c, deps, options.subject, reason, status, message);
  }
  const issuedAt = await checkSignature(c, deps, body, options);
  const ciphertext = decodeBase64(body.encrypted_seed);
  // The largest key of the keyring: a ciphertext for an earlier, larger key still fits.
  const bits = Math.max(
    ...deps.decryptionKeys.map((key) => (key.algorithm as RsaHashedKeyAlgorithm).modulusLength),
  );
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
  const plaintext = ciphertext === null ? null : await decryptText(deps.decryptionKeys, ciphertext);
  return { plaintext: plaintext ?? reject("decryption", 500, "Decryption failed"), issuedAt };
}

/** Audits and counts a refused seed, then answers `status` with `message`. */
export function rejectSeed(
  c: Context,
  deps: RouteDeps,
  subject: string,
  reason: string,
  status: ContentfulStatusCode,
  message: string,
): never {
  deps.audit.record("seed.rejected", auditContext(c, { subject, reason }));
  deps.metrics.seedDecrypt("rejected");
  throw new HTTPException(status, { message });
}

/** The signed `issued_at` (ms), `null` for an acceptable unsigned seed; throws otherwise. */
async function checkSignature(
  c: Context,
  deps: RouteDeps,
  body: SeedBody,
  options: ReceivePlaintextOptions,
): Promise<number | null> {
  function reject(reason: string, status: ContentfulStatusCode, message: string): never {
    return rejectSeed(c, deps, options.subject, reason, status, message);
  }
  const { issuerSpki, requireSeedSignature } = deps.security;
  const { signature } = body;
  if (signature === undefined || signature === null) {
    if (requireSeedSignature) reject("signature missing", 401, "Seed signature required");
    if (body.issued_at !== undefined) {
      reject("issued_at without signature", 400, "issued_at is only accepted with a signature");
    }
    return null;
  }
  if (typeof signature !== "string") {
    reject("signature not a string", 401, "Invalid seed signature");
  }
  if (issuerSpki === null) reject("no issuer key to verify with", 401, "Invalid seed signature");
  if (body.issued_at === undefined) {
    // The earlier form: a signature over encrypted_seed alone can be replayed for ever.
    reject(
      "signature without issued_at",
      401,
      "Seed signatures must cover issued_at (the pki-2fa-seed-v1 message); a signature over encrypted_seed alone is refused",
    );
  }
  const issuedAtText = typeof body.issued_at === "string" ? body.issued_at : "";
  const issuedAt = parseIssuedAt(issuedAtText);
  if (issuedAt === null) {
    reject("issued_at malformed", 400, "issued_at must be a UTC time such as 2025-01-01T00:00:00Z");
  }
  const signatureBytes = decodeBase64(signature) ??
    reject("signature not base64", 401, "Invalid seed signature");
  // The message names the key the issuer encrypted to: the active one, or an earlier one
  // of the keyring for an issuer that has not moved to the new key yet.
  const kids = new Set([
    deps.serviceKeyFingerprint,
    ...deps.publishedKeys.filter((key) => key.use === "seed-encryption").map((key) => key.kid),
  ]);
  let valid = false;
  for (const kid of kids) {
    const message = seedMessage({
      subject: options.subject,
      serviceKeyFingerprint: kid,
      issuedAt: issuedAtText,
      encryptedSeed: body.encrypted_seed,
    });
    if (await verifyPssAnySize(issuerSpki, signatureBytes, message)) {
      valid = true;
      break;
    }
  }
  if (!valid) reject("signature invalid", 401, "Invalid seed signature");
  const now = deps.now();
  if (issuedAt < now - MAX_SEED_AGE_MS) reject("issued over 10 minutes ago", 409, STALE_SEED);
  if (issuedAt > now + MAX_SEED_CLOCK_SKEW_MS) {
    reject(
      "issued_at in the future",
      400,
      "issued_at is more than 5 minutes ahead of the service's clock",
    );
  }
  return issuedAt;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    // fromBase64 skips ASCII whitespace, so PEM-style line breaks are fine.
    return Uint8Array.fromBase64(text);
  } catch {
    return null;
  }
}

/**
 * Decrypts to UTF-8 text with whichever key of the keyring fits (the active one first);
 * `null` whatever the cause, so the answer tells nothing about which key was tried.
 */
async function decryptText(
  privateKeys: readonly CryptoKey[],
  ciphertext: Uint8Array<ArrayBuffer>,
): Promise<string | null> {
  try {
    return utf8.decode((await decryptOaepWithAny(privateKeys, ciphertext)).plaintext);
  } catch {
    // The cause must not change the answer (no padding oracle).
    return null;
  }
}
