/**
 * PEM (RFC 7468) text ⇄ DER bytes, keeping the label and any RFC 1421 headers so that
 * callers can tell an encrypted key from a plain one.
 *
 * @module
 */

/** One PEM block. */
export interface PemBlock {
  /** The label between `BEGIN` and the dashes, e.g. `PRIVATE KEY`. */
  label: string;
  /** RFC 1421 header lines such as `Proc-Type: 4,ENCRYPTED`, as written. */
  headers: string[];
  der: Uint8Array<ArrayBuffer>;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/;

/** Decodes the first PEM block of `text`. */
export function decodePem(text: string): PemBlock {
  const match = BLOCK.exec(text);
  if (!match) throw new TypeError("No PEM block found");
  const label = match[1]!;
  const headers: string[] = [];
  const body: string[] = [];
  for (const line of match[2]!.split(/\r?\n/)) {
    if (line.includes(":")) headers.push(line.trim());
    else body.push(line.trim());
  }
  let der: Uint8Array<ArrayBuffer>;
  try {
    der = Uint8Array.fromBase64(body.join(""));
  } catch {
    throw new TypeError(`The PEM block "${label}" is not valid base64`);
  }
  if (der.length === 0) throw new TypeError(`The PEM block "${label}" is empty`);
  return { label, headers, der };
}

/** Encodes DER bytes as PEM with 64-character lines and a final newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const lines = der.toBase64().match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
