/**
 * The algorithm identifiers a PSKC file (RFC 6030 §6) may name, from XML Encryption 1.0
 * and 1.1, XML Signature and RFC 6931, mapped to what this service can do with them. One
 * table per role, so an algorithm is either supported everywhere or refused with its
 * name everywhere.
 *
 * @module
 */

const XMLENC = "http://www.w3.org/2001/04/xmlenc#";
const XMLENC11 = "http://www.w3.org/2009/xmlenc11#";
const XMLDSIG = "http://www.w3.org/2000/09/xmldsig#";
const XMLDSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#";
const PKCS5 = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#";

/** A symmetric cipher for `EncryptedValue` and `MACKey`. */
export type SymmetricCipher =
  | { kind: "cbc"; cipher: "aes-128-cbc" | "aes-192-cbc" | "aes-256-cbc"; keyBytes: number }
  | { kind: "cbc"; cipher: "des-ede3-cbc"; keyBytes: 24 }
  | { kind: "wrap"; cipher: `aes${128 | 192 | 256}-wrap`; keyBytes: number }
  | { kind: "wrap"; cipher: `id-aes${128 | 192 | 256}-wrap-pad`; keyBytes: number };

/** Symmetric encryption algorithms that are supported. */
export const SYMMETRIC_CIPHERS: ReadonlyMap<string, SymmetricCipher> = new Map<
  string,
  SymmetricCipher
>([
  [`${XMLENC}aes128-cbc`, { kind: "cbc", cipher: "aes-128-cbc", keyBytes: 16 }],
  [`${XMLENC}aes192-cbc`, { kind: "cbc", cipher: "aes-192-cbc", keyBytes: 24 }],
  [`${XMLENC}aes256-cbc`, { kind: "cbc", cipher: "aes-256-cbc", keyBytes: 32 }],
  // Deno's node:crypto implements DES-EDE3-CBC, so 3DES-CBC files need no code of ours.
  [`${XMLENC}tripledes-cbc`, { kind: "cbc", cipher: "des-ede3-cbc", keyBytes: 24 }],
  [`${XMLENC}kw-aes128`, { kind: "wrap", cipher: "aes128-wrap", keyBytes: 16 }],
  [`${XMLENC}kw-aes192`, { kind: "wrap", cipher: "aes192-wrap", keyBytes: 24 }],
  [`${XMLENC}kw-aes256`, { kind: "wrap", cipher: "aes256-wrap", keyBytes: 32 }],
  [`${XMLENC11}kw-aes-128-pad`, { kind: "wrap", cipher: "id-aes128-wrap-pad", keyBytes: 16 }],
  [`${XMLENC11}kw-aes-192-pad`, { kind: "wrap", cipher: "id-aes192-wrap-pad", keyBytes: 24 }],
  [`${XMLENC11}kw-aes-256-pad`, { kind: "wrap", cipher: "id-aes256-wrap-pad", keyBytes: 32 }],
]);

/**
 * Algorithms recognised but refused, with the reason. No maintained library available
 * to Deno implements Camellia or the 3DES key wrap (RFC 3217), and PKCS#1 v1.5
 * decryption is a padding oracle.
 */
export const REFUSED_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  [`${XMLENC}kw-tripledes`, "3DES key wrap (kw-tripledes) is not supported"],
  [`${XMLDSIG_MORE}camellia128-cbc`, "Camellia-128-CBC is not supported"],
  [`${XMLDSIG_MORE}camellia192-cbc`, "Camellia-192-CBC is not supported"],
  [`${XMLDSIG_MORE}camellia256-cbc`, "Camellia-256-CBC is not supported"],
  [`${XMLDSIG_MORE}kw-camellia128`, "Camellia key wrap (kw-camellia128) is not supported"],
  [`${XMLDSIG_MORE}kw-camellia192`, "Camellia key wrap (kw-camellia192) is not supported"],
  [`${XMLDSIG_MORE}kw-camellia256`, "Camellia key wrap (kw-camellia256) is not supported"],
  [
    `${XMLENC}rsa_1_5`,
    "RSA PKCS#1 v1.5 (rsa_1_5) is refused: its decryption is a padding oracle; use rsa-oaep",
  ],
]);

/** RSA key transport (RFC 6030 §6.3). */
export const RSA_OAEP_MGF1P = `${XMLENC}rsa-oaep-mgf1p`;
export const RSA_OAEP = `${XMLENC11}rsa-oaep`;

/** Hash names as WebCrypto and node:crypto spell them. */
export type HashName = "SHA-1" | "SHA-224" | "SHA-256" | "SHA-384" | "SHA-512";

/** `DigestMethod` of RSA-OAEP. */
export const DIGEST_METHODS: ReadonlyMap<string, HashName> = new Map([
  [`${XMLDSIG}sha1`, "SHA-1"],
  [`${XMLDSIG_MORE}sha224`, "SHA-224"],
  [`${XMLENC}sha256`, "SHA-256"],
  [`${XMLDSIG_MORE}sha384`, "SHA-384"],
  [`${XMLENC}sha512`, "SHA-512"],
]);

/** `xenc11:MGF` of `xmlenc11#rsa-oaep`. */
export const MGF_METHODS: ReadonlyMap<string, HashName> = new Map([
  [`${XMLENC11}mgf1sha1`, "SHA-1"],
  [`${XMLENC11}mgf1sha224`, "SHA-224"],
  [`${XMLENC11}mgf1sha256`, "SHA-256"],
  [`${XMLENC11}mgf1sha384`, "SHA-384"],
  [`${XMLENC11}mgf1sha512`, "SHA-512"],
]);

/** `MACMethod` algorithms (RFC 6030 §6.1.1). */
export const MAC_METHODS: ReadonlyMap<string, HashName> = new Map([
  [`${XMLDSIG}hmac-sha1`, "SHA-1"],
  [`${XMLDSIG_MORE}hmac-sha224`, "SHA-224"],
  [`${XMLDSIG_MORE}hmac-sha256`, "SHA-256"],
  [`${XMLDSIG_MORE}hmac-sha384`, "SHA-384"],
  [`${XMLDSIG_MORE}hmac-sha512`, "SHA-512"],
]);

/** Key derivation (RFC 6030 §6.2): PBKDF2, as PKCS #5 or XML Encryption 1.1 names it. */
export const PBKDF2_METHODS: ReadonlySet<string> = new Set([`${PKCS5}pbkdf2`, `${XMLENC11}pbkdf2`]);

/** PBKDF2 pseudo-random functions; an empty `<PRF/>` means HMAC-SHA1. */
export const PBKDF2_PRFS: ReadonlyMap<string, HashName> = new Map([
  [`${PKCS5}hmac-sha1`, "SHA-1"],
  [`${XMLDSIG}hmac-sha1`, "SHA-1"],
  [`${XMLDSIG_MORE}hmac-sha224`, "SHA-224"],
  [`${XMLDSIG_MORE}hmac-sha256`, "SHA-256"],
  [`${XMLDSIG_MORE}hmac-sha384`, "SHA-384"],
  [`${XMLDSIG_MORE}hmac-sha512`, "SHA-512"],
]);

/** The short name of an algorithm URI for messages (`aes128-cbc`), never the whole URI. */
export function algorithmName(uri: string): string {
  const hash = uri.lastIndexOf("#");
  const name = uri.slice((hash >= 0 ? hash : uri.lastIndexOf(":")) + 1);
  return /^[\w.:-]{1,64}$/.test(name) ? name : "unknown";
}

/** node:crypto's name of a hash (`sha256`). */
export function nodeHashName(hash: HashName): string {
  return hash.replace("-", "").toLowerCase();
}
