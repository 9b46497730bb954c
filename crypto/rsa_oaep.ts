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

/** What {@linkcode decryptOaepWithAny} found. */
export interface AnyKeyPlaintext {
  plaintext: Uint8Array<ArrayBuffer>;
  /** Which key of the list opened it (0: the first). */
  index: number;
}

/**
 * Decrypts one OAEP block with whichever of `privateKeys` it was encrypted to, preferring
 * the earliest. Every key is tried whatever happens, so neither the answer nor the number
 * of RSA operations depends on which key (if any) fits: one failure for every cause.
 */
export async function decryptOaepWithAny(
  privateKeys: readonly CryptoKey[],
  ciphertext: Uint8Array<ArrayBuffer>,
): Promise<AnyKeyPlaintext> {
  const results = await Promise.all(
    privateKeys.map((key) => decryptOaep(key, ciphertext).catch(() => null)),
  );
  const index = results.findIndex((result) => result !== null);
  if (index === -1) throw new TypeError("RSA-OAEP decryption failed");
  for (const [i, result] of results.entries()) if (i !== index) result?.fill(0);
  return { plaintext: results[index]!, index };
}
