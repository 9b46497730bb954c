/**
 * What an issuer signs for a seed: a versioned message that binds the ciphertext to the
 * subject it is for, the service key it is encrypted to and the time it was issued, so a
 * signed seed cannot be replayed later to roll a subject back, posted for another subject,
 * or taken to another service. Signatures over `encrypted_seed` alone (the earlier form)
 * bind none of these and are refused.
 *
 * ```text
 * pki-2fa-seed-v1\n<subject>\n<service key SHA-256 hex>\n<issued_at>\n<encrypted_seed>
 * ```
 *
 * No trailing newline; every part exactly as sent (the subject id, lower-case hex,
 * `issued_at` and `encrypted_seed` as they appear in the JSON body).
 *
 * @module
 */

/** The first line of every signed seed message. */
export const SEED_MESSAGE_VERSION = "pki-2fa-seed-v1";

/**
 * `issued_at`: an RFC 3339 UTC time with seconds and up to millisecond precision, as
 * `new Date().toISOString()` and `date -u +%Y-%m-%dT%H:%M:%SZ` write it.
 */
export const ISSUED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** The parts of a signed seed message. */
export interface SeedMessageParts {
  /** The subject id (`default` for the assignment's seed). */
  subject: string;
  /** SHA-256 of the service public key's SPKI DER, lower-case hex. */
  serviceKeyFingerprint: string;
  /** The `issued_at` text as sent. */
  issuedAt: string;
  /** The `encrypted_seed` text as sent. */
  encryptedSeed: string;
}

/** The bytes the issuer signs (RSA-PSS SHA-256) for a seed. */
export function seedMessage(parts: SeedMessageParts): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(
    [
      SEED_MESSAGE_VERSION,
      parts.subject,
      parts.serviceKeyFingerprint,
      parts.issuedAt,
      parts.encryptedSeed,
    ].join("\n"),
  );
}

/**
 * Milliseconds since the epoch of an `issued_at` text, or `null` when it is not in the
 * {@linkcode ISSUED_AT} form or names no real instant (`2025-02-30T…`).
 */
export function parseIssuedAt(text: string): number | null {
  if (!ISSUED_AT.test(text)) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return null;
  // Date.parse rolls 2025-02-30 over to March: compare the fields back.
  const canonical = new Date(ms).toISOString();
  return canonical.slice(0, 19) === text.slice(0, 19) ? ms : null;
}
