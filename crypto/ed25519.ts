/**
 * Ed25519 (RFC 8032) keys and signatures over WebCrypto, for the audit log's checkpoints.
 * Keys travel as PEM in the forms OpenSSL writes and reads (`openssl genpkey -algorithm
 * ed25519`: PKCS#8 `PRIVATE KEY`; `openssl pkey -pubout`: SPKI `PUBLIC KEY`), so a
 * signature made here verifies with `openssl pkeyutl -verify -rawin` and the other way round.
 *
 * @module
 */
import { decodePem, encodePem } from "./pem.ts";
import { sha256 } from "./sha256.ts";

/** SPKI DER of an Ed25519 key is this prefix (AlgorithmIdentifier 1.3.101.112) and 32 bytes. */
const SPKI_PREFIX = Uint8Array.fromHex("302a300506032b6570032100");

/** An Ed25519 private key with what is published about it. */
export interface Ed25519SigningKey {
  /** Signs; not extractable. */
  privateKey: CryptoKey;
  /** The public key as SPKI DER. */
  spki: Uint8Array<ArrayBuffer>;
  /** The public key as SPKI PEM. */
  publicPem: string;
  /** Lower-case hex SHA-256 of the SPKI DER (`openssl pkey -pubin -outform DER | sha256sum`). */
  kid: string;
}

/** A new key pair: the private key as PKCS#8 PEM, to be stored. */
export async function generateEd25519Pem(): Promise<string> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  try {
    return encodePem("PRIVATE KEY", pkcs8);
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * Imports a PKCS#8 Ed25519 private key PEM and derives its public key (through the JWK
 * `x`, the only way WebCrypto gives the public half of an imported private key).
 *
 * @throws {TypeError} naming what is wrong, never showing key material
 */
export async function importEd25519PrivatePem(pem: string): Promise<Ed25519SigningKey> {
  const block = decodePem(pem);
  if (block.label !== "PRIVATE KEY") {
    throw new TypeError(`Expected an Ed25519 private key PEM, found "${block.label}"`);
  }
  let jwk: JsonWebKey;
  try {
    const extractable = await crypto.subtle.importKey("pkcs8", block.der, "Ed25519", true, [
      "sign",
    ]);
    jwk = await crypto.subtle.exportKey("jwk", extractable);
  } catch {
    throw new TypeError("The private key is not an Ed25519 key in PKCS#8 form");
  } finally {
    block.der.fill(0);
  }
  const privateKey = await crypto.subtle.importKey("jwk", jwk, "Ed25519", false, ["sign"]);
  jwk.d = "";
  const spki = new Uint8Array([
    ...SPKI_PREFIX,
    ...Uint8Array.fromBase64(jwk.x!, {
      alphabet: "base64url",
    }),
  ]);
  return { privateKey, spki, publicPem: encodePem("PUBLIC KEY", spki), kid: await kidOf(spki) };
}

/** An Ed25519 public key read from PEM, with its kid. */
export interface Ed25519PublicKey {
  publicKey: CryptoKey;
  spki: Uint8Array<ArrayBuffer>;
  kid: string;
}

/**
 * Imports an SPKI Ed25519 public key PEM.
 *
 * @throws {TypeError} when it is not one
 */
export async function importEd25519PublicPem(pem: string): Promise<Ed25519PublicKey> {
  const block = decodePem(pem);
  const der = block.der;
  const isEd25519 = block.label === "PUBLIC KEY" && der.length === 44 &&
    SPKI_PREFIX.every((byte, i) => der[i] === byte);
  if (!isEd25519) throw new TypeError("The public key is not an Ed25519 key in SPKI form");
  const publicKey = await crypto.subtle.importKey("spki", der, "Ed25519", false, ["verify"]);
  return { publicKey, spki: der, kid: await kidOf(der) };
}

/** Signs `message` (64-byte signature). */
export async function signEd25519(
  privateKey: CryptoKey,
  message: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.sign("Ed25519", privateKey, message));
}

/** Whether `signature` is a valid Ed25519 signature of `message`; false for any malformed input. */
export async function verifyEd25519(
  publicKey: CryptoKey,
  signature: Uint8Array<ArrayBuffer>,
  message: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  if (signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify("Ed25519", publicKey, signature, message);
  } catch {
    return false;
  }
}

async function kidOf(spki: Uint8Array<ArrayBuffer>): Promise<string> {
  return (await sha256(spki)).toHex();
}
