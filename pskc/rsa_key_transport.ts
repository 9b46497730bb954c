/**
 * RSA key transport (RFC 6030 §6.3): secrets encrypted to the service's own RSA key with
 * RSA-OAEP, as XML Encryption names it — `xmlenc#rsa-oaep-mgf1p` (MGF1 with SHA-1, digest
 * SHA-1) and `xmlenc11#rsa-oaep` with a `DigestMethod` and an `MGF`. WebCrypto ties MGF1
 * to the digest, so the digest and the MGF hash must agree; SHA-1 and SHA-256 are
 * supported. PKCS#1 v1.5 (`rsa_1_5`) is refused: its decryption is a padding oracle.
 *
 * @module
 */
import {
  algorithmName,
  DIGEST_METHODS,
  type HashName,
  MGF_METHODS,
  REFUSED_ALGORITHMS,
  RSA_OAEP,
  RSA_OAEP_MGF1P,
} from "./algorithm_uris.ts";

/** An `EncryptionMethod` for RSA, as read from the file. */
export interface RsaMethod {
  /** The `Algorithm` URI. */
  algorithm: string;
  /** `ds:DigestMethod/@Algorithm`, or `null` (SHA-1). */
  digest: string | null;
  /** `xenc11:MGF/@Algorithm`, or `null` (MGF1 with SHA-1). */
  mgf: string | null;
  /** `xenc:OAEPparams` (the label), or `null` for none. */
  label: Uint8Array<ArrayBuffer> | null;
}

/** The service's private key imported for RSA-OAEP with each supported hash. */
export interface OaepPrivateKeys {
  "SHA-1": CryptoKey;
  "SHA-256": CryptoKey;
}

/** True when `uri` names RSA key transport (supported or not). */
export function isRsaAlgorithm(uri: string): boolean {
  return uri === RSA_OAEP || uri === RSA_OAEP_MGF1P || /#rsa[-_]/.test(uri);
}

/**
 * The OAEP hash `method` asks for.
 *
 * @throws {RangeError} refused or unsupported, with the algorithm named
 */
export function oaepHash(method: RsaMethod): "SHA-1" | "SHA-256" {
  const refused = REFUSED_ALGORITHMS.get(method.algorithm);
  if (refused !== undefined) throw new RangeError(refused);
  const digest = hashOf(method.digest, DIGEST_METHODS, "digest");
  let mgf: HashName;
  if (method.algorithm === RSA_OAEP_MGF1P) {
    if (method.mgf !== null) throw new RangeError("rsa-oaep-mgf1p does not take an MGF");
    mgf = "SHA-1";
  } else if (method.algorithm === RSA_OAEP) {
    mgf = hashOf(method.mgf, MGF_METHODS, "MGF");
  } else {
    throw new RangeError(
      `The key transport algorithm "${algorithmName(method.algorithm)}" is not supported`,
    );
  }
  if (digest !== mgf) {
    throw new RangeError(
      `RSA-OAEP with a ${digest} digest and MGF1-${mgf} is not supported (they must match)`,
    );
  }
  if (digest !== "SHA-1" && digest !== "SHA-256") {
    throw new RangeError(`RSA-OAEP with ${digest} is not supported (SHA-1 or SHA-256)`);
  }
  return digest;
}

function hashOf(
  uri: string | null,
  table: ReadonlyMap<string, HashName>,
  what: string,
): HashName {
  if (uri === null) return "SHA-1";
  const hash = table.get(uri);
  if (hash === undefined) {
    throw new RangeError(`The RSA-OAEP ${what} "${algorithmName(uri)}" is not supported`);
  }
  return hash;
}

/**
 * Decrypts one RSA-OAEP block with the service's key.
 *
 * @throws {RangeError} for an unsupported method; one generic message for every
 *   decryption failure, so the answer is no oracle
 */
export async function decryptKeyTransport(
  keys: OaepPrivateKeys,
  method: RsaMethod,
  cipherValue: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const hash = oaepHash(method);
  try {
    const params: RsaOaepParams = method.label === null
      ? { name: "RSA-OAEP" }
      : { name: "RSA-OAEP", label: method.label };
    return new Uint8Array(await crypto.subtle.decrypt(params, keys[hash], cipherValue));
  } catch {
    throw new RangeError("The value does not decrypt with the service's key");
  }
}
