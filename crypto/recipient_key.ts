/**
 * A recipient's RSA public key for a sealed export, checked before anything is encrypted
 * to it: PEM, a public (not private) RSA key, 2048 to 8192 bits, a plausible modulus and
 * exponent. Keys over 4096 bits cannot be imported by Deno's WebCrypto, so the export
 * encrypts with rsa_public_any_size.ts, which only needs n and e.
 *
 * @module
 */
import { decodePem } from "./pem.ts";
import { publicKeyPemToSpki, rsaPublicNumbers, spkiFingerprint } from "./rsa_keys.ts";

/** Smallest recipient key: below 2048 bits RSA is no longer considered safe (NIST SP 800-131A). */
export const MIN_RECIPIENT_BITS = 2048;
/** Largest recipient key: the assignment's instructor key size; beyond it is a mistake or a DoS. */
export const MAX_RECIPIENT_BITS = 8192;

/** A checked recipient key. */
export interface RecipientKey {
  spki: Uint8Array<ArrayBuffer>;
  bits: number;
  /** SHA-256 of the SPKI DER, hex (as `openssl pkey -pubin -outform DER | sha256sum`). */
  fingerprint: string;
}

/** The key cannot be used; the message names the problem. */
export class RecipientKeyError extends Error {
  override name = "RecipientKeyError";
}

/**
 * Reads and checks a recipient's public key PEM (SPKI `PUBLIC KEY`, or PKCS#1
 * `RSA PUBLIC KEY`).
 *
 * @throws {RecipientKeyError} naming the problem; never quoting the key
 */
export async function parseRecipientKey(pem: string): Promise<RecipientKey> {
  let label: string;
  try {
    label = decodePem(pem).label;
  } catch {
    throw new RecipientKeyError("recipient_public_key is not a PEM public key");
  }
  if (/PRIVATE KEY$/.test(label)) {
    throw new RecipientKeyError(
      "recipient_public_key is a private key; send the public key (openssl pkey -pubout)",
    );
  }
  let spki: Uint8Array<ArrayBuffer>;
  try {
    spki = publicKeyPemToSpki(pem);
  } catch {
    throw new RecipientKeyError(
      label === "PUBLIC KEY" || label === "RSA PUBLIC KEY"
        ? "recipient_public_key is not an RSA public key"
        : `recipient_public_key is a "${label}" PEM block, not an RSA public key`,
    );
  }
  const { n, e, bits } = rsaPublicNumbers(spki);
  if (bits < MIN_RECIPIENT_BITS || bits > MAX_RECIPIENT_BITS) {
    throw new RecipientKeyError(
      `recipient_public_key has ${bits} bits; ${MIN_RECIPIENT_BITS} to ${MAX_RECIPIENT_BITS} are accepted`,
    );
  }
  // An even modulus or an exponent below 3 or even is no RSA key anyone can decrypt for.
  if (n % 2n === 0n || e < 3n || e % 2n === 0n || e >= n) {
    throw new RecipientKeyError("recipient_public_key has an invalid modulus or exponent");
  }
  return { spki, bits, fingerprint: await spkiFingerprint(spki) };
}
