/**
 * Decryption of PSKC `EncryptedValue`s and `MACKey`s under a symmetric key (RFC 6030
 * §6.1, §6.2): AES-CBC and 3DES-CBC with the IV prepended to the ciphertext (XML
 * Encryption's `CipherValue` = IV ‖ ciphertext, PKCS#7 padding), and the AES key wraps of
 * RFC 3394 and RFC 5649. AES-CBC goes through WebCrypto (Deno's node:crypto lacks
 * AES-192-CBC); 3DES-CBC and the key wraps through node:crypto, which Deno implements
 * natively.
 *
 * @module
 */
import { createDecipheriv } from "node:crypto";
import { algorithmName, REFUSED_ALGORITHMS, SYMMETRIC_CIPHERS } from "./algorithm_uris.ts";

/** The default IVs of RFC 3394 §2.2.3.1 and RFC 5649 §3. */
const KW_IV = Uint8Array.fromHex("a6a6a6a6a6a6a6a6");
const KW_PAD_IV = Uint8Array.fromHex("a65959a6");

/** True when `uri` is a symmetric algorithm this module decrypts. */
export function isSymmetricAlgorithm(uri: string): boolean {
  return SYMMETRIC_CIPHERS.has(uri);
}

/**
 * Decrypts `cipherValue` (the decoded `CipherValue`) with `key`.
 *
 * @throws {RangeError} an unsupported or refused algorithm (named), a key of the wrong
 *   length, or a ciphertext that does not decrypt (wrong key or damaged data)
 */
export async function decryptSymmetric(
  algorithm: string,
  key: Uint8Array<ArrayBuffer>,
  cipherValue: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const refused = REFUSED_ALGORITHMS.get(algorithm);
  if (refused !== undefined) throw new RangeError(refused);
  const cipher = SYMMETRIC_CIPHERS.get(algorithm);
  if (cipher === undefined) {
    throw new RangeError(`The encryption algorithm "${algorithmName(algorithm)}" is not supported`);
  }
  if (key.length !== cipher.keyBytes) {
    throw new RangeError(
      `${
        algorithmName(algorithm)
      } needs a ${cipher.keyBytes}-byte key; the key has ${key.length} bytes`,
    );
  }
  let iv: Uint8Array<ArrayBuffer>;
  let data: Uint8Array<ArrayBuffer>;
  if (cipher.kind === "cbc") {
    const block = cipher.cipher === "des-ede3-cbc" ? 8 : 16;
    if (cipherValue.length < 2 * block || cipherValue.length % block !== 0) {
      throw new RangeError(
        `The ${algorithmName(algorithm)} value must be an IV and whole ${block}-byte blocks`,
      );
    }
    iv = cipherValue.subarray(0, block);
    data = cipherValue.subarray(block);
  } else {
    iv = cipher.cipher.endsWith("-pad") ? KW_PAD_IV : KW_IV;
    data = cipherValue;
    if (data.length < 16 || data.length % 8 !== 0) {
      throw new RangeError(`The ${algorithmName(algorithm)} value has a wrong length`);
    }
  }
  try {
    if (cipher.cipher.startsWith("aes-")) {
      const aes = await crypto.subtle.importKey("raw", key, "AES-CBC", false, ["decrypt"]);
      const iv16 = new Uint8Array(iv);
      return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv: iv16 }, aes, data));
    }
    const decipher = createDecipheriv(cipher.cipher, key, iv);
    const first = decipher.update(data);
    const last = decipher.final();
    const plain = new Uint8Array(first.length + last.length);
    plain.set(first);
    plain.set(last, first.length);
    return plain;
  } catch {
    // Padding or integrity check failed: the key is wrong or the data damaged.
    throw new RangeError(
      `The value does not decrypt with ${algorithmName(algorithm)} (wrong key or damaged data)`,
    );
  }
}
