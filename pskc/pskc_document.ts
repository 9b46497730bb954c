/**
 * Reads an RFC 6030 `KeyContainer` from a namespaced XML tree into plain data: the
 * container's encryption key and MAC method, and per `KeyPackage` the key's attributes
 * and values — still encrypted. Elements are matched by namespace URI, never by prefix.
 *
 * A problem with the container (not PSKC, a version other than 1.0) throws; a problem
 * inside one package is recorded on that package, so an import can report one reason
 * per package.
 *
 * @module
 */
import { childNamed, childrenNamed, parseXmlTree, type XmlElement, XmlError } from "./xml_tree.ts";
import type { RsaMethod } from "./rsa_key_transport.ts";
import { type HashName, PBKDF2_METHODS, PBKDF2_PRFS } from "./algorithm_uris.ts";
import type { Pbkdf2Params } from "./pbkdf2.ts";

export const PSKC_NS = "urn:ietf:params:xml:ns:keyprov:pskc";
const DS_NS = "http://www.w3.org/2000/09/xmldsig#";
const XENC_NS = "http://www.w3.org/2001/04/xmlenc#";
const XENC11_NS = "http://www.w3.org/2009/xmlenc11#";
const PKCS5_NS = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#";

/** An encrypted value: its method and the decoded `CipherValue`. */
export interface EncryptedData {
  method: RsaMethod;
  cipherValue: Uint8Array<ArrayBuffer>;
}

/** A `PlainValue` (text as written) or an `EncryptedValue` with its `ValueMAC`. */
export type PskcValue =
  | { kind: "plain"; text: string }
  | { kind: "encrypted"; data: EncryptedData; mac: Uint8Array<ArrayBuffer> | null };

/** How the container's symmetric encryption key is to be found. */
export type EncryptionKeyInfo =
  | { kind: "none" }
  | { kind: "pre-shared"; keyName: string | null }
  | { kind: "passphrase"; pbkdf2: Pbkdf2Params }
  | { kind: "certificate" };

/** One `KeyPackage`. `problem` is set when the package cannot be read. */
export interface PskcPackage {
  /** 1-based position in the file. */
  index: number;
  keyId: string | null;
  algorithm: string | null;
  issuer: string | null;
  manufacturer: string | null;
  serialNo: string | null;
  suite: string | null;
  responseLength: string | null;
  responseEncoding: string | null;
  checkDigits: boolean;
  pinUsageMode: string | null;
  secret: PskcValue | null;
  counter: PskcValue | null;
  timeInterval: PskcValue | null;
  problem: string | null;
}

/** A whole container. */
export interface PskcDocument {
  encryptionKey: EncryptionKeyInfo;
  /** `MACMethod`: the algorithm and the encrypted (or plain) MAC key, or `null`. */
  mac: { algorithm: string; key: PskcValue | null } | null;
  packages: PskcPackage[];
}

/** The file is not a PSKC container this reader accepts. */
export class PskcError extends Error {
  override name = "PskcError";
}

/**
 * Parses PSKC text (hardened: see xml_tree.ts) and reads the container.
 *
 * @throws {PskcError} the text is not acceptable XML or not an acceptable container
 */
export function parsePskc(text: string): PskcDocument {
  let root: XmlElement;
  try {
    root = parseXmlTree(text);
  } catch (error) {
    if (error instanceof XmlError) throw new PskcError(error.message);
    throw error;
  }
  return readPskcDocument(root);
}

/**
 * Reads the container.
 *
 * @throws {PskcError} not a `KeyContainer`, a version other than 1.0, or a container-level
 *   element that cannot be read
 */
export function readPskcDocument(root: XmlElement): PskcDocument {
  if (root.ns !== PSKC_NS || root.name !== "KeyContainer") {
    throw new PskcError(`The root element is not a PSKC KeyContainer (in ${PSKC_NS})`);
  }
  const version = root.attributes.get("Version");
  if (version !== "1.0") {
    throw new PskcError(
      version === undefined
        ? "The KeyContainer has no Version"
        : `The PSKC version "${printable(version)}" is not supported (only 1.0)`,
    );
  }
  try {
    const macMethod = childNamed(root, PSKC_NS, "MACMethod");
    return {
      encryptionKey: readEncryptionKey(childNamed(root, PSKC_NS, "EncryptionKey")),
      mac: macMethod === null ? null : readMacMethod(macMethod),
      packages: childrenNamed(root, PSKC_NS, "KeyPackage").map(readPackage),
    };
  } catch (error) {
    if (error instanceof XmlError || error instanceof PskcError) {
      throw new PskcError(error.message);
    }
    throw error;
  }
}

function readEncryptionKey(element: XmlElement | null): EncryptionKeyInfo {
  if (element === null) return { kind: "none" };
  const derived = childNamed(element, XENC11_NS, "DerivedKey");
  if (derived !== null) return { kind: "passphrase", pbkdf2: readPbkdf2(derived) };
  const keyName = childNamed(element, DS_NS, "KeyName");
  if (keyName !== null) return { kind: "pre-shared", keyName: keyName.text.trim() };
  if (childNamed(element, DS_NS, "X509Data") !== null) return { kind: "certificate" };
  return { kind: "pre-shared", keyName: null };
}

function readPbkdf2(derived: XmlElement): Pbkdf2Params {
  const method = childNamed(derived, XENC11_NS, "KeyDerivationMethod");
  const algorithm = method?.attributes.get("Algorithm");
  if (method === null || algorithm === undefined || !PBKDF2_METHODS.has(algorithm)) {
    throw new PskcError("The key derivation method is missing or is not PBKDF2");
  }
  const params = childNamed(method, [PKCS5_NS, XENC11_NS], "PBKDF2-params");
  if (params === null) throw new PskcError("The PBKDF2 parameters are missing");
  // RFC 6030 Figure 7 writes the parameters' children without a namespace.
  const inner = [null, PKCS5_NS, XENC11_NS];
  const salt = childNamed(params, inner, "Salt");
  const specified = salt === null ? null : childNamed(salt, inner, "Specified");
  const iterations = childNamed(params, inner, "IterationCount")?.text.trim() ?? "";
  const keyLength = childNamed(params, inner, "KeyLength")?.text.trim() ?? "";
  if (specified === null) throw new PskcError("The PBKDF2 salt is missing");
  if (!/^\d{1,9}$/.test(iterations)) {
    throw new PskcError("The PBKDF2 IterationCount is missing or not a number");
  }
  if (!/^\d{1,3}$/.test(keyLength)) {
    throw new PskcError("The PBKDF2 KeyLength is missing or not a number");
  }
  const prfElement = childNamed(params, inner, "PRF");
  const prfUri = prfElement?.attributes.get("Algorithm");
  let prf: HashName = "SHA-1";
  if (prfUri !== undefined) {
    const hash = PBKDF2_PRFS.get(prfUri);
    if (hash === undefined) throw new PskcError("The PBKDF2 PRF is not supported");
    prf = hash;
  }
  return {
    salt: base64(specified.text, "PBKDF2 salt"),
    iterations: Number(iterations),
    keyLength: Number(keyLength),
    prf,
  };
}

function readMacMethod(element: XmlElement): { algorithm: string; key: PskcValue | null } {
  const algorithm = element.attributes.get("Algorithm");
  if (algorithm === undefined) throw new PskcError("The MACMethod has no Algorithm");
  if (childNamed(element, PSKC_NS, "MACKeyReference") !== null) {
    throw new PskcError("A MACKeyReference (a MAC key held elsewhere) is not supported");
  }
  const macKey = childNamed(element, PSKC_NS, "MACKey");
  return { algorithm, key: macKey === null ? null : readEncryptedData(macKey, null) };
}

function readPackage(element: XmlElement, position: number): PskcPackage {
  const pkg: PskcPackage = {
    index: position + 1,
    keyId: null,
    algorithm: null,
    issuer: null,
    manufacturer: null,
    serialNo: null,
    suite: null,
    responseLength: null,
    responseEncoding: null,
    checkDigits: false,
    pinUsageMode: null,
    secret: null,
    counter: null,
    timeInterval: null,
    problem: null,
  };
  try {
    const device = childNamed(element, PSKC_NS, "DeviceInfo");
    if (device !== null) {
      pkg.manufacturer = optionalText(device, "Manufacturer");
      pkg.serialNo = optionalText(device, "SerialNo");
    }
    const key = childNamed(element, PSKC_NS, "Key");
    if (key === null) throw new PskcError("The KeyPackage has no Key");
    pkg.keyId = key.attributes.get("Id") ?? null;
    pkg.algorithm = key.attributes.get("Algorithm") ?? null;
    pkg.issuer = optionalText(key, "Issuer");
    const parameters = childNamed(key, PSKC_NS, "AlgorithmParameters");
    if (parameters !== null) {
      pkg.suite = optionalText(parameters, "Suite");
      const format = childNamed(parameters, PSKC_NS, "ResponseFormat");
      if (format !== null) {
        pkg.responseLength = format.attributes.get("Length") ?? null;
        pkg.responseEncoding = format.attributes.get("Encoding") ?? null;
        pkg.checkDigits = ["true", "1"].includes(format.attributes.get("CheckDigits") ?? "");
      }
    }
    const pin = childNamed(childNamed(key, PSKC_NS, "Policy") ?? key, PSKC_NS, "PINPolicy");
    pkg.pinUsageMode = pin?.attributes.get("PINUsageMode") ?? null;
    const data = childNamed(key, PSKC_NS, "Data");
    if (data !== null) {
      pkg.secret = readValue(data, "Secret");
      pkg.counter = readValue(data, "Counter");
      pkg.timeInterval = readValue(data, "TimeInterval");
    }
  } catch (error) {
    if (!(error instanceof PskcError || error instanceof XmlError)) throw error;
    pkg.problem = error.message;
  }
  return pkg;
}

function optionalText(element: XmlElement, name: string): string | null {
  const child = childNamed(element, PSKC_NS, name);
  return child === null ? null : child.text.trim();
}

function readValue(data: XmlElement, name: string): PskcValue | null {
  const element = childNamed(data, PSKC_NS, name);
  if (element === null) return null;
  const plain = childNamed(element, PSKC_NS, "PlainValue");
  const encrypted = childNamed(element, PSKC_NS, "EncryptedValue");
  const macElement = childNamed(element, PSKC_NS, "ValueMAC");
  if (plain !== null && encrypted !== null) {
    throw new PskcError(`The ${name} has both a PlainValue and an EncryptedValue`);
  }
  if (plain !== null) return { kind: "plain", text: plain.text.trim() };
  if (encrypted === null) throw new PskcError(`The ${name} has no PlainValue or EncryptedValue`);
  const mac = macElement === null ? null : base64(macElement.text, `${name} ValueMAC`);
  const value = readEncryptedData(encrypted, mac);
  return value;
}

/** An `EncryptedValue` or `MACKey`: `EncryptionMethod` and `CipherData/CipherValue`. */
function readEncryptedData(element: XmlElement, mac: Uint8Array<ArrayBuffer> | null): PskcValue {
  const method = childNamed(element, XENC_NS, "EncryptionMethod");
  const algorithm = method?.attributes.get("Algorithm");
  if (method === null || algorithm === undefined) {
    throw new PskcError(`The encrypted ${element.name} has no EncryptionMethod`);
  }
  const cipherData = childNamed(element, XENC_NS, "CipherData");
  const cipherValue = cipherData === null ? null : childNamed(cipherData, XENC_NS, "CipherValue");
  if (cipherValue === null) {
    throw new PskcError(`The encrypted ${element.name} has no CipherData/CipherValue`);
  }
  const label = childNamed(method, XENC_NS, "OAEPparams");
  return {
    kind: "encrypted",
    data: {
      method: {
        algorithm,
        digest: childNamed(method, DS_NS, "DigestMethod")?.attributes.get("Algorithm") ?? null,
        mgf: childNamed(method, XENC11_NS, "MGF")?.attributes.get("Algorithm") ?? null,
        label: label === null ? null : base64(label.text, "OAEPparams"),
      },
      cipherValue: base64(cipherValue.text, "CipherValue"),
    },
    mac,
  };
}

function base64(text: string, what: string): Uint8Array<ArrayBuffer> {
  try {
    return Uint8Array.fromBase64(text.trim());
  } catch {
    throw new PskcError(`The ${what} is not valid base64`);
  }
}

/** `value` for a message: printable ASCII, at most 40 characters. */
export function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 40 ? `${clean.slice(0, 40)}...` : clean;
}
