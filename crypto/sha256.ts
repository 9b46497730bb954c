/**
 * SHA-256, the one hash the service uses outside HMAC: key fingerprints, seed ids, token
 * digests and the OAEP/PSS padding of large RSA keys. Text is hashed as UTF-8.
 *
 * @module
 */

const encoder = new TextEncoder();

/** The SHA-256 digest of `data` (text as UTF-8). */
export async function sha256(
  data: Uint8Array<ArrayBuffer> | string,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
