/**
 * Compares two byte arrays in time that depends only on their lengths, so that a
 * caller comparing a secret (a TOTP code, a bearer token) with an attacker's guess
 * does not reveal how many leading bytes were right.
 *
 * @example
 * ```ts
 * timingSafeEqual(new TextEncoder().encode("123456"), new TextEncoder().encode("123456")); // true
 * ```
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const encoder = new TextEncoder();

/** {@linkcode timingSafeEqual} for strings, compared as their UTF-8 bytes. */
export function timingSafeEqualText(a: string, b: string): boolean {
  return timingSafeEqual(encoder.encode(a), encoder.encode(b));
}
