/**
 * RSA-OAEP with SHA-256 and MGF1-SHA-256 and no label: the parameters of the seed
 * exchange (the same as `openssl pkeyutl -pkeyopt rsa_oaep_md:sha256
 * -pkeyopt rsa_mgf1_md:sha256`). WebCrypto ties MGF1 to the key's hash, so importing
 * with SHA-256 fixes both.
 *
 * @module
 */

/** Decrypts one OAEP block. Rejects with a generic error whatever the cause. */
export async function decryptOaep(
  privateKey: CryptoKey,
  ciphertext: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt({ name: "RSA-OAEP" }, privateKey, ciphertext),
    );
  } catch {
    // One message for every failure: distinguishing them would make a padding oracle.
    throw new TypeError("RSA-OAEP decryption failed");
  }
}

/** Encrypts one OAEP block to a public key imported for RSA-OAEP with SHA-256. */
export async function encryptOaep(
  publicKey: CryptoKey,
  plaintext: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.encrypt({ name: "RSA-OAEP" }, publicKey, plaintext));
}
