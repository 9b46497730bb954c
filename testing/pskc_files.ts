/**
 * PSKC files for tests, with every encryption done by `openssl` (no code of ours encrypts
 * a test vector): AES-CBC, 3DES-CBC and the AES key wraps with `openssl enc`, RSA-OAEP
 * key transport (RFC 6030 §6.3) with `openssl pkeyutl`, HMACs with `openssl dgst`.
 *
 * @module
 */
import { run } from "./command.ts";

export const XMLENC = "http://www.w3.org/2001/04/xmlenc#";
export const XMLENC11 = "http://www.w3.org/2009/xmlenc11#";
export const XMLDSIG = "http://www.w3.org/2000/09/xmldsig#";
export const XMLDSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#";
export const HOTP = "urn:ietf:params:xml:ns:keyprov:pskc:hotp";
export const TOTP = "urn:ietf:params:xml:ns:keyprov:pskc:totp";

async function openssl(args: string[], stdin: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const result = await run("openssl", args, { stdin });
  if (result.code !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
  return new Uint8Array(result.bytes);
}

/** `openssl enc -e` with an explicit key and IV, no salt; returns IV ‖ ciphertext for CBC. */
export async function opensslEncrypt(
  cipher: string,
  keyHex: string,
  plaintext: Uint8Array,
  ivHex?: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const args = ["enc", "-e", `-${cipher}`, "-K", keyHex, "-nosalt"];
  if (ivHex !== undefined) args.push("-iv", ivHex);
  const body = await openssl(args, plaintext);
  if (!cipher.endsWith("-cbc") || ivHex === undefined) return body;
  const out = new Uint8Array(ivHex.length / 2 + body.length);
  out.set(Uint8Array.fromHex(ivHex));
  out.set(body, ivHex.length / 2);
  return out;
}

/** HMAC of `data` with `openssl dgst -mac HMAC`. */
export function opensslHmac(
  digest: string,
  keyHex: string,
  data: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  return openssl(
    ["dgst", `-${digest}`, "-binary", "-mac", "HMAC", "-macopt", `hexkey:${keyHex}`],
    data,
  );
}

/** RSA-OAEP with `openssl pkeyutl`, digest and MGF1 both `hash`, optional label (hex). */
export function opensslOaep(
  publicPath: string,
  plaintext: Uint8Array,
  hash: "sha1" | "sha256",
  labelHex?: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const args = [
    "pkeyutl",
    "-encrypt",
    "-pubin",
    "-inkey",
    publicPath,
    "-pkeyopt",
    "rsa_padding_mode:oaep",
    "-pkeyopt",
    `rsa_oaep_md:${hash}`,
    "-pkeyopt",
    `rsa_mgf1_md:${hash}`,
  ];
  if (labelHex !== undefined) args.push("-pkeyopt", `rsa_oaep_label:${labelHex}`);
  return openssl(args, plaintext);
}

/** RSA PKCS#1 v1.5 encryption, for the refusal test. */
export function opensslRsaPkcs1(
  publicPath: string,
  plaintext: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  return openssl(
    ["pkeyutl", "-encrypt", "-pubin", "-inkey", publicPath, "-pkeyopt", "rsa_padding_mode:pkcs1"],
    plaintext,
  );
}

/** One `Key` of a generated file. */
export interface KeySpec {
  id: string;
  /** @default {HOTP} */
  algorithm?: string;
  /** The `<Secret>` element's content (a `PlainValue`, or `EncryptedValue` and `ValueMAC`). */
  secretXml: string;
  counter?: string;
  timeInterval?: string;
  digits?: string;
  suite?: string;
  serialNo?: string;
  manufacturer?: string;
  issuer?: string;
}

/** `<PlainValue>` of bytes. */
export function plainSecret(secret: Uint8Array): string {
  return `<PlainValue>${secret.toBase64()}</PlainValue>`;
}

/** Options for {@linkcode encryptedSecret}. */
export interface EncryptedSecretOptions {
  mac?: Uint8Array;
  /** Extra children of `EncryptionMethod` (DigestMethod, MGF, OAEPparams). */
  methodXml?: string;
}

/** `<EncryptedValue>` (and `<ValueMAC>`) of a ciphertext. */
export function encryptedSecret(
  algorithm: string,
  cipherValue: Uint8Array,
  options: EncryptedSecretOptions = {},
): string {
  return `<EncryptedValue>
  <xenc:EncryptionMethod Algorithm="${algorithm}">${options.methodXml ?? ""}</xenc:EncryptionMethod>
  <xenc:CipherData><xenc:CipherValue>${cipherValue.toBase64()}</xenc:CipherValue></xenc:CipherData>
</EncryptedValue>${options.mac ? `<ValueMAC>${options.mac.toBase64()}</ValueMAC>` : ""}`;
}

/** A `KeyPackage`. */
export function keyPackage(key: KeySpec): string {
  const device = key.serialNo || key.manufacturer
    ? `<DeviceInfo>${key.manufacturer ? `<Manufacturer>${key.manufacturer}</Manufacturer>` : ""}${
      key.serialNo ? `<SerialNo>${key.serialNo}</SerialNo>` : ""
    }</DeviceInfo>`
    : "";
  const parameters = key.digits || key.suite
    ? `<AlgorithmParameters>${key.suite ? `<Suite>${key.suite}</Suite>` : ""}${
      key.digits ? `<ResponseFormat Length="${key.digits}" Encoding="DECIMAL"/>` : ""
    }</AlgorithmParameters>`
    : "";
  return `<KeyPackage>${device}
  <Key Id="${key.id}" Algorithm="${key.algorithm ?? HOTP}">
    ${key.issuer ? `<Issuer>${key.issuer}</Issuer>` : ""}${parameters}
    <Data>
      <Secret>${key.secretXml}</Secret>
      ${
    key.counter !== undefined ? `<Counter><PlainValue>${key.counter}</PlainValue></Counter>` : ""
  }
      ${
    key.timeInterval !== undefined
      ? `<TimeInterval><PlainValue>${key.timeInterval}</PlainValue></TimeInterval>`
      : ""
  }
    </Data>
  </Key>
</KeyPackage>`;
}

/** Options for {@linkcode keyContainer}. */
export interface KeyContainerOptions {
  /** @default {"1.0"} */
  version?: string;
  /** `EncryptionKey` and `MACMethod` elements. */
  header?: string;
}

/** A whole `KeyContainer`. */
export function keyContainer(packages: string[], options: KeyContainerOptions = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="${options.version ?? "1.0"}"
  xmlns="urn:ietf:params:xml:ns:keyprov:pskc"
  xmlns:ds="${XMLDSIG}"
  xmlns:xenc="${XMLENC}"
  xmlns:xenc11="${XMLENC11}">
${options.header ?? ""}
${packages.join("\n")}
</KeyContainer>
`;
}

/** A `MACMethod` whose `MACKey` is the given ciphertext. */
export function macMethod(
  algorithm: string,
  keyCipher: string,
  macKeyCipherValue: Uint8Array,
): string {
  return `<MACMethod Algorithm="${algorithm}">
  <MACKey>
    <xenc:EncryptionMethod Algorithm="${keyCipher}"/>
    <xenc:CipherData><xenc:CipherValue>${macKeyCipherValue.toBase64()}</xenc:CipherValue></xenc:CipherData>
  </MACKey>
</MACMethod>`;
}
