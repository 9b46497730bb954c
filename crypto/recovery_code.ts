/**
 * Recovery codes: one-time codes a user prints or stores for when the authenticator is lost.
 * Each is 12 symbols of Crockford's base32 (60 bits from `crypto.getRandomValues`), shown as
 * `XXXX-XXXX-XXXX`. The alphabet has no I, L, O or U, and reading is forgiving the way
 * Crockford specifies: any case, hyphens and spaces ignored, O read as 0, I and L as 1. The
 * service keeps only a keyed hash of the normalised form ({@linkcode recoveryCodeDigest}).
 *
 * @module
 */

/** Crockford's base32 symbols, in value order. */
export const CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Symbols per code: 12 × 5 = 60 bits. */
export const RECOVERY_CODE_SYMBOLS = 12;
/** Codes per set. */
export const RECOVERY_CODES_PER_SET = 10;

/** A new code in its normalised form (12 symbols, no hyphens). */
export function generateRecoveryCode(): string {
  // 256 is a multiple of 32, so each byte's low 5 bits are uniform: no modulo bias.
  const bytes = crypto.getRandomValues(new Uint8Array(RECOVERY_CODE_SYMBOLS));
  const code = Array.from(bytes, (byte) => CROCKFORD_ALPHABET[byte & 31]).join("");
  bytes.fill(0);
  return code;
}

/** `XXXXXXXXXXXX` → `XXXX-XXXX-XXXX`, as shown to the user. */
export function formatRecoveryCode(normalized: string): string {
  return normalized.match(/.{1,4}/g)!.join("-");
}

/**
 * The normalised form of what a user typed, or `null` when it cannot be a code: upper case,
 * hyphens and whitespace removed, Crockford's look-alikes mapped (O → 0, I and L → 1).
 */
export function normalizeRecoveryCode(text: string): string | null {
  if (text.length > 64) return null;
  const normalized = text.toUpperCase().replace(/[\s-]+/g, "")
    .replaceAll("O", "0").replace(/[IL]/g, "1");
  if (normalized.length !== RECOVERY_CODE_SYMBOLS) return null;
  for (const symbol of normalized) if (!CROCKFORD_ALPHABET.includes(symbol)) return null;
  return normalized;
}

/** Imports the raw key of the recovery-code digests as a non-extractable HMAC-SHA-256 key. */
export function importRecoveryKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/**
 * HMAC-SHA-256 of a normalised code, bound to its subject (the same code for two subjects
 * gives unrelated digests), as hex: what the store keeps instead of the code.
 */
export async function recoveryCodeDigest(
  key: CryptoKey,
  subject: string,
  normalized: string,
): Promise<string> {
  const message = new TextEncoder().encode(`pki-2fa recovery code\0${subject}\0${normalized}`);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message)).toHex();
}
