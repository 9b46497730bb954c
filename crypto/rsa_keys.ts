/**
 * RSA key material in the forms people really have: PKCS#8 (`BEGIN PRIVATE KEY`, from
 * `openssl genpkey` and our keygen) and PKCS#1 (`BEGIN RSA PRIVATE KEY`, from
 * `openssl genrsa -traditional` and Python's `TraditionalOpenSSL`), SPKI and PKCS#1
 * public keys. WebCrypto reads only PKCS#8 and SPKI, so PKCS#1 is wrapped here.
 *
 * Errors are `TypeError`/`RangeError` with messages that never contain key material.
 *
 * @module
 */
import {
  bytesToBigInt,
  concatBytes,
  encodeTlv,
  readSequence,
  readTlv,
  RSA_ALGORITHM_IDENTIFIER,
  TAG,
} from "./der.ts";
import { decodePem, encodePem } from "./pem.ts";
import { sha256 } from "./sha256.ts";

/** The largest RSA key Deno's WebCrypto and `node:crypto` can import. */
export const MAX_IMPORTABLE_BITS = 4096;

/** The public numbers of an RSA key. */
export interface RsaPublicNumbers {
  n: bigint;
  e: bigint;
  bits: number;
}

/**
 * Converts a private key PEM (PKCS#8 or PKCS#1) to PKCS#8 DER. Encrypted keys are
 * refused: the service has no passphrase to give them.
 */
export function privateKeyPemToPkcs8(pem: string): Uint8Array<ArrayBuffer> {
  const block = decodePem(pem);
  if (block.label === "ENCRYPTED PRIVATE KEY" || block.headers.some((h) => /ENCRYPTED/.test(h))) {
    throw new TypeError("The private key is encrypted with a passphrase; export it without one");
  }
  if (block.label === "PRIVATE KEY") {
    privateNumbers(block.der); // fail early on anything that is not RSA
    return block.der;
  }
  if (block.label === "RSA PRIVATE KEY") {
    return encodeTlv(
      TAG.SEQUENCE,
      concatBytes(
        Uint8Array.of(TAG.INTEGER, 1, 0),
        RSA_ALGORITHM_IDENTIFIER,
        encodeTlv(TAG.OCTET_STRING, block.der),
      ),
    );
  }
  throw new TypeError(`Expected an RSA private key PEM, found "${block.label}"`);
}

/** Converts a public key PEM (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`) to SPKI DER. */
export function publicKeyPemToSpki(pem: string): Uint8Array<ArrayBuffer> {
  const block = decodePem(pem);
  if (block.label === "PUBLIC KEY") {
    rsaPublicNumbers(block.der);
    return block.der;
  }
  if (block.label === "RSA PUBLIC KEY") return spkiFromRsaPublicKey(block.der);
  throw new TypeError(`Expected an RSA public key PEM, found "${block.label}"`);
}

function isRsaAlgorithm(algorithm: Uint8Array): boolean {
  const oid = readSequence(algorithm)[0];
  return oid?.tag === TAG.OID && oid.content.toHex() === "2a864886f70d010101";
}

function numbersFrom(modulus: Uint8Array, exponent: Uint8Array): RsaPublicNumbers {
  const n = bytesToBigInt(modulus);
  return { n, e: bytesToBigInt(exponent), bits: n.toString(2).length };
}

/** The modulus and public exponent INTEGER contents of PKCS#8 DER of an RSA key. */
function privateKeyIntegers(pkcs8: Uint8Array): { modulus: Uint8Array; exponent: Uint8Array } {
  try {
    const [, algorithm, key] = readSequence(readTlv(pkcs8).content);
    if (!algorithm || !key || !isRsaAlgorithm(algorithm.content)) throw new TypeError();
    const [, modulus, exponent] = readSequence(readTlv(key.content).content);
    if (modulus?.tag !== TAG.INTEGER || exponent?.tag !== TAG.INTEGER) throw new TypeError();
    return { modulus: modulus.content, exponent: exponent.content };
  } catch {
    throw new TypeError("The private key is not an RSA key in PKCS#8 or PKCS#1 form");
  }
}

function privateNumbers(pkcs8: Uint8Array): RsaPublicNumbers {
  const { modulus, exponent } = privateKeyIntegers(pkcs8);
  return numbersFrom(modulus, exponent);
}

/** Reads n and e from SPKI DER, for any key size (also beyond what WebCrypto imports). */
export function rsaPublicNumbers(spki: Uint8Array): RsaPublicNumbers {
  try {
    const [algorithm, bitString] = readSequence(readTlv(spki).content);
    if (!algorithm || !bitString || !isRsaAlgorithm(algorithm.content)) throw new TypeError();
    const [modulus, exponent] = readSequence(readTlv(bitString.content.subarray(1)).content);
    return numbersFrom(modulus!.content, exponent!.content);
  } catch {
    throw new TypeError("The public key is not an RSA key in SPKI or PKCS#1 form");
  }
}

/** Key size of PKCS#8 DER, read from the modulus without importing the key. */
export function privateKeyBits(pkcs8: Uint8Array): number {
  return privateNumbers(pkcs8).bits;
}

/** Options for {@linkcode importRsaPrivateKey}. */
export interface ImportRsaPrivateKeyOptions {
  /** What the key will do. @default {"RSA-OAEP"} */
  algorithm?: "RSA-OAEP" | "RSA-PSS";
  /** Smallest accepted key size. @default {2048} */
  minBits?: number;
  /** Whether the key may be exported again. @default {false} */
  extractable?: boolean;
  /**
   * The hash of OAEP (and its MGF1) or PSS. SHA-1 is only for RSA-OAEP key transport in
   * PSKC files (`xmlenc#rsa-oaep-mgf1p`), which WebCrypto ties to the key. @default {"SHA-256"}
   */
  hash?: "SHA-256" | "SHA-1";
}

/** Imports PKCS#8 DER for RSA-OAEP decryption or RSA-PSS signing, both with SHA-256. */
export async function importRsaPrivateKey(
  pkcs8: Uint8Array<ArrayBuffer>,
  options: ImportRsaPrivateKeyOptions = {},
): Promise<CryptoKey> {
  const bits = privateKeyBits(pkcs8);
  checkBits(bits, options.minBits ?? 2048);
  const algorithm = options.algorithm ?? "RSA-OAEP";
  const usages: KeyUsage[] = algorithm === "RSA-OAEP" ? ["decrypt"] : ["sign"];
  try {
    return await crypto.subtle.importKey(
      "pkcs8",
      pkcs8,
      { name: algorithm, hash: options.hash ?? "SHA-256" },
      options.extractable ?? false,
      usages,
    );
  } catch {
    throw new TypeError("The private key could not be imported as an RSA key");
  }
}

/** Imports SPKI DER for RSA-OAEP encryption or RSA-PSS verification, both with SHA-256. */
export async function importRsaPublicKey(
  spki: Uint8Array<ArrayBuffer>,
  algorithm: "RSA-OAEP" | "RSA-PSS" = "RSA-OAEP",
): Promise<CryptoKey> {
  checkBits(rsaPublicNumbers(spki).bits, 1024);
  try {
    return await crypto.subtle.importKey(
      "spki",
      spki,
      { name: algorithm, hash: "SHA-256" },
      false,
      algorithm === "RSA-OAEP" ? ["encrypt"] : ["verify"],
    );
  } catch {
    throw new TypeError("The public key could not be imported as an RSA key");
  }
}

function checkBits(bits: number, minBits: number): void {
  if (bits < minBits) {
    throw new RangeError(`The RSA key has ${bits} bits; at least ${minBits} are required`);
  }
  if (bits > MAX_IMPORTABLE_BITS) {
    throw new RangeError(
      `The RSA key has ${bits} bits; Deno's WebCrypto imports at most ${MAX_IMPORTABLE_BITS}`,
    );
  }
}

/** The SPKI public key that belongs to a PKCS#8 private key, built from its n and e. */
export function publicSpkiFromPkcs8(pkcs8: Uint8Array): Uint8Array<ArrayBuffer> {
  const { modulus, exponent } = privateKeyIntegers(pkcs8);
  const rsaPublicKey = encodeTlv(
    TAG.SEQUENCE,
    concatBytes(encodeTlv(TAG.INTEGER, modulus), encodeTlv(TAG.INTEGER, exponent)),
  );
  return spkiFromRsaPublicKey(rsaPublicKey);
}

function spkiFromRsaPublicKey(rsaPublicKey: Uint8Array): Uint8Array<ArrayBuffer> {
  return encodeTlv(
    TAG.SEQUENCE,
    concatBytes(
      RSA_ALGORITHM_IDENTIFIER,
      encodeTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(0), rsaPublicKey)),
    ),
  );
}

/** A new key pair as PEM text: PKCS#8 private key and SPKI public key. */
export interface RsaKeyPairPem {
  privatePem: string;
  publicPem: string;
  spki: Uint8Array<ArrayBuffer>;
}

/** Generates an RSA key pair with e = 65537. */
export async function generateRsaKeyPair(bits = 4096): Promise<RsaKeyPairPem> {
  checkBits(bits, 2048);
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSA-OAEP",
      modulusLength: bits,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: "SHA-256",
    },
    true,
    ["encrypt", "decrypt"],
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  return {
    privatePem: encodePem("PRIVATE KEY", pkcs8),
    publicPem: encodePem("PUBLIC KEY", spki),
    spki,
  };
}

/**
 * SHA-256 of the SPKI DER, lower-case hex: the same value as
 * `openssl pkey -pubin -outform DER | sha256sum`, so users can compare it.
 */
export async function spkiFingerprint(spki: Uint8Array<ArrayBuffer>): Promise<string> {
  return (await sha256(spki)).toHex();
}
