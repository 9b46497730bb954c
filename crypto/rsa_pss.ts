/**
 * RSA-PSS signing with SHA-256, MGF1-SHA-256 and the maximum salt — the parameters of
 * the assignment's commit proof and of issuer-signed seeds (`openssl ... -pkeyopt
 * rsa_pss_saltlen:max`).
 *
 * @module
 */

/** The RSA-PSS maximum salt length for SHA-256: emLen − hLen − 2 (478 for 4096 bits). */
export function maxPssSaltLength(bits: number): number {
  return Math.ceil((bits - 1) / 8) - 32 - 2;
}

/** Signs `message` with a key imported for RSA-PSS (SHA-256), using the maximum salt. */
export async function signPssMaxSalt(
  key: CryptoKey,
  message: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  return new Uint8Array(
    await crypto.subtle.sign({ name: "RSA-PSS", saltLength: maxPssSaltLength(bits) }, key, message),
  );
}
