/**
 * Just enough DER (ITU-T X.690) to move RSA keys between the containers OpenSSL and
 * Python write (PKCS#1) and the ones WebCrypto reads (PKCS#8, SPKI), without a
 * general ASN.1 library.
 *
 * @module
 */

/** DER tag numbers used for RSA keys. */
export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
} as const;

/** AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }. */
export const RSA_ALGORITHM_IDENTIFIER: Uint8Array = Uint8Array.fromHex(
  "300d06092a864886f70d0101010500",
);

/** Encodes one tag-length-value element with a definite length. */
export function encodeTlv(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const length = encodeLength(content.length);
  const out = new Uint8Array(1 + length.length + content.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(content, 1 + length.length);
  return out;
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** One decoded element: its tag, its content and where the next element starts. */
export interface Tlv {
  tag: number;
  content: Uint8Array;
  end: number;
}

/** Reads the element at `offset`, checking that it fits in `bytes`. */
export function readTlv(bytes: Uint8Array, offset = 0): Tlv {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) throw new TypeError("Truncated DER element");
  let length = first;
  let start = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new TypeError("Unsupported DER length");
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = bytes[start + i];
      if (byte === undefined) throw new TypeError("Truncated DER length");
      length = length * 256 + byte;
    }
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw new TypeError("Truncated DER element");
  return { tag, content: bytes.subarray(start, end), end };
}

/** Reads the elements of a SEQUENCE's content, in order. */
export function readSequence(content: Uint8Array): Tlv[] {
  const items: Tlv[] = [];
  for (let offset = 0; offset < content.length;) {
    const item = readTlv(content, offset);
    items.push(item);
    offset = item.end;
  }
  return items;
}

/** Reads a non-negative INTEGER's content as a bigint. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt("0x" + bytes.toHex());
}
