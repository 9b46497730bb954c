/**
 * From a read PSKC container to tokens the service can hold: decrypts each package's
 * secret with the key material given (a pre-shared key, a passphrase, or the service's
 * RSA key), checks each `ValueMAC` (mandatory when the container has a `MACMethod`), and
 * maps the key to a subject (RFC 6030 §4 fields to the /v1 subject's parameters).
 *
 * Every package gets one result: `ok` with its token, `unsupported` (an algorithm the
 * service does not do: OCRA, PIN, vendor-specific; the CLI skips these) or `invalid`
 * (the package is wrong: a bad MAC, a missing secret, a bad parameter).
 *
 * @module
 */
import {
  type EncryptedData,
  printable,
  type PskcDocument,
  PskcError,
  type PskcPackage,
  type PskcValue,
} from "./pskc_document.ts";
import { decryptSymmetric } from "./symmetric_decrypt.ts";
import { checkValueMac, isMacAlgorithm } from "./value_mac.ts";
import { derivePbkdf2Key } from "./pbkdf2.ts";
import { decryptKeyTransport, isRsaAlgorithm, type OaepPrivateKeys } from "./rsa_key_transport.ts";
import { algorithmName } from "./algorithm_uris.ts";

const HOTP_URN = "urn:ietf:params:xml:ns:keyprov:pskc:hotp";
const TOTP_URN = "urn:ietf:params:xml:ns:keyprov:pskc:totp";
const MAX_COUNTER = 2n ** 64n - 1n;
const ID_CHARACTERS = /[^A-Za-z0-9._@-]/g;

/** What may decrypt the file; which one is needed depends on the file. */
export interface KeyMaterial {
  /** The pre-shared key (RFC 6030 §6.1). */
  preSharedKey?: Uint8Array<ArrayBuffer>;
  /** The passphrase for PBKDF2 (RFC 6030 §6.2). */
  passphrase?: string;
  /** The service's private key (RFC 6030 §6.3). */
  rsa?: OaepPrivateKeys;
}

/** A token ready to become a subject. */
export interface PskcToken {
  subjectId: string;
  type: "hotp" | "totp";
  algorithm: "SHA1" | "SHA256" | "SHA512";
  digits: 6 | 8;
  period: number;
  counter: bigint;
  secret: Uint8Array<ArrayBuffer>;
  issuer: string | null;
  manufacturer: string | null;
  serialNo: string | null;
  warnings: string[];
}

/** One package's outcome. */
export type PackageResult =
  & { index: number; keyId: string | null; subjectId: string | null }
  & (
    | { status: "ok"; token: PskcToken }
    | { status: "unsupported"; reason: string }
    | { status: "invalid"; reason: string }
  );

/** Which key material the file's encrypted values need (`null`: nothing is encrypted). */
export function requiredKey(document: PskcDocument): "pre-shared" | "passphrase" | "rsa" | null {
  const values = document.packages.flatMap((p) => [p.secret, p.counter, p.timeInterval]);
  if (document.mac?.key) values.push(document.mac.key);
  const encrypted = values.filter((v): v is Extract<PskcValue, { kind: "encrypted" }> =>
    v?.kind === "encrypted"
  );
  if (encrypted.length === 0) return null;
  if (encrypted.some((v) => isRsaAlgorithm(v.data.method.algorithm))) return "rsa";
  return document.encryptionKey.kind === "passphrase" ? "passphrase" : "pre-shared";
}

/** A needed key was not given; `need` says which. */
export class KeyRequiredError extends Error {
  override name = "KeyRequiredError";
  constructor(readonly need: "pre-shared" | "passphrase" | "rsa", message: string) {
    super(message);
  }
}

/** Options for {@linkcode readPskcTokens}. */
export interface ReadPskcTokensOptions {
  /** Put before every `Key/@Id` to make the subject id. @default {""} */
  prefix?: string;
}

/**
 * Decrypts and maps every package.
 *
 * @throws {KeyRequiredError} the file needs key material that was not given
 * @throws {PskcError} the container's MAC key cannot be decrypted or its MAC method is unknown
 */
export async function readPskcTokens(
  document: PskcDocument,
  material: KeyMaterial,
  options: ReadPskcTokensOptions = {},
): Promise<PackageResult[]> {
  const decrypt = decryptorFor(document, material);
  let macKey: Uint8Array | null = null;
  if (document.mac !== null) {
    if (!isMacAlgorithm(document.mac.algorithm)) {
      throw new PskcError(
        `The MAC algorithm "${algorithmName(document.mac.algorithm)}" is not supported`,
      );
    }
    if (document.mac.key === null) throw new PskcError("The MACMethod has no MACKey");
    try {
      macKey = document.mac.key.kind === "plain"
        ? Uint8Array.fromBase64(document.mac.key.text)
        : await decrypt(document.mac.key.data);
    } catch (error) {
      throw new PskcError(`The MAC key cannot be decrypted: ${(error as Error).message}`);
    }
  }
  const prefix = options.prefix ?? "";
  const results: PackageResult[] = [];
  for (const pkg of document.packages) {
    const subjectId = pkg.keyId === null ? null : prefix + pkg.keyId.replace(ID_CHARACTERS, "-");
    const base = { index: pkg.index, keyId: pkg.keyId, subjectId };
    try {
      results.push({
        ...base,
        status: "ok",
        token: await toToken(pkg, subjectId, decrypt, document.mac?.algorithm ?? null, macKey),
      });
    } catch (error) {
      if (error instanceof Unsupported) {
        results.push({ ...base, status: "unsupported", reason: error.message });
      } else if (error instanceof PskcError || error instanceof RangeError) {
        results.push({ ...base, status: "invalid", reason: error.message });
      } else throw error;
    }
  }
  markDuplicates(results);
  return results;
}

class Unsupported extends Error {}

type Decrypt = (data: EncryptedData) => Promise<Uint8Array<ArrayBuffer>>;

function decryptorFor(document: PskcDocument, material: KeyMaterial): Decrypt {
  const need = requiredKey(document);
  let symmetricKey: Uint8Array<ArrayBuffer> | null = null;
  if (need === "pre-shared") {
    if (material.preSharedKey === undefined) {
      const info = document.encryptionKey;
      const name = info.kind === "pre-shared" && info.keyName
        ? ` named "${printable(info.keyName)}"`
        : "";
      throw new KeyRequiredError(
        "pre-shared",
        `The secrets are encrypted with a pre-shared key${name}`,
      );
    }
    symmetricKey = material.preSharedKey;
  } else if (need === "passphrase") {
    if (material.passphrase === undefined || document.encryptionKey.kind !== "passphrase") {
      throw new KeyRequiredError(
        "passphrase",
        "The secrets are encrypted with a key derived from a passphrase",
      );
    }
    symmetricKey = derivePbkdf2Key(material.passphrase, document.encryptionKey.pbkdf2);
  } else if (need === "rsa" && material.rsa === undefined) {
    throw new KeyRequiredError(
      "rsa",
      "The secrets are encrypted to the service's RSA key (RFC 6030 §6.3)",
    );
  }
  return (data) => {
    const algorithm = data.method.algorithm;
    if (isRsaAlgorithm(algorithm)) {
      if (material.rsa === undefined) {
        throw new RangeError("The value is encrypted to an RSA key, but the file mixes methods");
      }
      return decryptKeyTransport(material.rsa, data.method, data.cipherValue);
    }
    if (symmetricKey === null) {
      throw new RangeError(
        `The value is encrypted with "${algorithmName(algorithm)}", but the file mixes methods`,
      );
    }
    return decryptSymmetric(algorithm, symmetricKey, data.cipherValue);
  };
}

async function toToken(
  pkg: PskcPackage,
  subjectId: string | null,
  decrypt: Decrypt,
  macAlgorithm: string | null,
  macKey: Uint8Array | null,
): Promise<PskcToken> {
  if (pkg.problem !== null) throw new PskcError(pkg.problem);
  if (pkg.keyId === null || pkg.keyId === "" || subjectId === null) {
    throw new PskcError("The Key has no Id");
  }
  if (subjectId.length > 128) {
    throw new PskcError("The subject id would be longer than 128 characters");
  }
  if (subjectId.startsWith("_")) {
    throw new PskcError(
      `The subject id "${subjectId}" starts with _, which is reserved for the service's ` +
        "own store keys (rename the Key Id or use a prefix)",
    );
  }
  if (subjectId === "default") {
    throw new PskcError('The subject id "default" is reserved');
  }
  if (pkg.algorithm === null) throw new PskcError("The Key has no Algorithm");
  if (pkg.algorithm !== HOTP_URN && pkg.algorithm !== TOTP_URN) {
    throw new Unsupported(
      `The algorithm "${algorithmName(pkg.algorithm)}" is not supported (HOTP and TOTP only)`,
    );
  }
  const type = pkg.algorithm === HOTP_URN ? "hotp" : "totp";
  const algorithm = suiteHash(pkg.suite);
  if (pkg.pinUsageMode !== null && pkg.pinUsageMode !== "Local") {
    throw new Unsupported(`A PIN used in "${printable(pkg.pinUsageMode)}" mode is not supported`);
  }
  if (pkg.checkDigits) throw new Unsupported("Codes with a check digit are not supported");
  if (pkg.responseEncoding !== null && pkg.responseEncoding !== "DECIMAL") {
    throw new Unsupported(
      `The response encoding "${printable(pkg.responseEncoding)}" is not supported`,
    );
  }
  const digits = pkg.responseLength ?? "6";
  if (digits !== "6" && digits !== "8") {
    throw new PskcError(`The response length "${printable(digits)}" is not supported (6 or 8)`);
  }
  if (pkg.secret === null) {
    throw new Unsupported(
      "The Key has no Secret (keys derived from a KeyReference are not supported)",
    );
  }
  const secret = await readSecret(pkg.secret, decrypt, macAlgorithm, macKey);
  const warnings: string[] = [];
  if (secret.length < 10 || secret.length > 64) {
    throw new PskcError(`The secret has ${secret.length} bytes; 10 to 64 are accepted`);
  }
  if (secret.length < 16) {
    warnings.push(`The secret has ${secret.length} bytes; RFC 4226 asks for at least 16`);
  }
  return {
    subjectId,
    type,
    algorithm,
    digits: digits === "8" ? 8 : 6,
    period: type === "totp"
      ? Number(readInteger(pkg.timeInterval, "TimeInterval", 30n, 15n, 120n))
      : 30,
    counter: type === "hotp" ? readInteger(pkg.counter, "Counter", 0n, 0n, MAX_COUNTER) : 0n,
    secret,
    issuer: pkg.issuer,
    manufacturer: pkg.manufacturer,
    serialNo: pkg.serialNo,
    warnings,
  };
}

async function readSecret(
  value: PskcValue,
  decrypt: Decrypt,
  macAlgorithm: string | null,
  macKey: Uint8Array | null,
): Promise<Uint8Array<ArrayBuffer>> {
  if (value.kind === "plain") {
    try {
      return Uint8Array.fromBase64(value.text);
    } catch {
      throw new PskcError("The Secret's PlainValue is not valid base64");
    }
  }
  if (value.mac !== null && macKey === null) {
    throw new PskcError("The Secret has a ValueMAC but the container has no MACMethod");
  }
  if (macKey !== null && macAlgorithm !== null) {
    if (value.mac === null) {
      throw new PskcError(
        "The Secret has no ValueMAC, which the container's MACMethod makes mandatory",
      );
    }
    // Checked before decrypting: a forged value never reaches the cipher.
    if (!checkValueMac(macAlgorithm, macKey, value.data.cipherValue, value.mac)) {
      throw new PskcError("The Secret's ValueMAC does not match (wrong key or altered file)");
    }
  }
  return await decrypt(value.data);
}

function readInteger(
  value: PskcValue | null,
  name: string,
  fallback: bigint,
  min: bigint,
  max: bigint,
): bigint {
  if (value === null) return fallback;
  if (value.kind === "encrypted") throw new PskcError(`An encrypted ${name} is not supported`);
  if (!/^\d{1,20}$/.test(value.text)) {
    throw new PskcError(`The ${name} "${printable(value.text)}" is not a whole number`);
  }
  const number = BigInt(value.text);
  if (number < min || number > max) {
    throw new PskcError(`The ${name} ${value.text} is out of range (${min} to ${max})`);
  }
  return number;
}

function suiteHash(suite: string | null): "SHA1" | "SHA256" | "SHA512" {
  if (suite === null || suite === "") return "SHA1";
  const name = suite.toUpperCase().replace(/^HMAC-/, "").replace("-", "");
  if (name === "SHA1" || name === "SHA256" || name === "SHA512") return name;
  throw new Unsupported(
    `The suite "${printable(suite)}" is not supported (SHA1, SHA256 or SHA512)`,
  );
}

function markDuplicates(results: PackageResult[]): void {
  const first = new Map<string, number>();
  for (const [i, result] of results.entries()) {
    if (result.subjectId === null) continue;
    const earlier = first.get(result.subjectId);
    if (earlier === undefined) {
      first.set(result.subjectId, result.index);
      continue;
    }
    results[i] = {
      index: result.index,
      keyId: result.keyId,
      subjectId: result.subjectId,
      status: "invalid",
      reason: `The subject id "${result.subjectId}" is also that of package ${earlier}`,
    };
  }
}
