/**
 * Google Authenticator export URIs for tests, encoded here by hand from the published
 * message layout (see cli/migration_payload.ts) — not with the protobuf library the reader
 * uses, so a mistake in how we configured it cannot hide in both directions.
 *
 * @module
 */

/** One account as the export's OtpParameters message holds it (enums as numbers). */
export interface ExportAccount {
  secret: Uint8Array;
  name: string;
  issuer?: string;
  /** 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5. */
  algorithm: number;
  /** 1 six, 2 eight. */
  digits: number;
  /** 1 HOTP, 2 TOTP. */
  type: number;
  /** int64: a negative one is written as protobuf does, in ten bytes. */
  counter?: number | bigint;
}

/** A protobuf base-128 varint. */
function varint(value: number | bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(value));
  while (v >= 0x80n) {
    out.push(Number(v % 0x80n) | 0x80);
    v /= 0x80n;
  }
  out.push(Number(v));
  return out;
}

/** Field `number` with wire type 2 (length-delimited). */
function delimited(number: number, bytes: ArrayLike<number>): number[] {
  return [...varint((number << 3) | 2), ...varint(bytes.length), ...Array.from(bytes)];
}

/** Field `number` with wire type 0 (varint). */
function scalar(number: number, value: number | bigint): number[] {
  return [...varint(number << 3), ...varint(value)];
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The bytes of a MigrationPayload holding `accounts`. */
export function encodeExport(accounts: readonly ExportAccount[], batchId = 1): Uint8Array {
  const bytes = accounts.flatMap((a) =>
    delimited(1, [ // otp_parameters
      ...delimited(1, a.secret), // secret
      ...delimited(2, utf8(a.name)), // name
      ...(a.issuer ? delimited(3, utf8(a.issuer)) : []), // issuer
      ...scalar(4, a.algorithm), // algorithm
      ...scalar(5, a.digits), // digits
      ...scalar(6, a.type), // type
      ...(a.counter ? scalar(7, a.counter) : []), // counter
    ])
  );
  // version 1, batch_size 1, batch_index 0 (a default, so not written), batch_id
  return new Uint8Array([...bytes, ...scalar(2, 1), ...scalar(3, 1), ...scalar(5, batchId)]);
}

/** `otpauth-migration://offline?data=...` as Google Authenticator's QR codes hold it. */
export function exportUri(accounts: readonly ExportAccount[]): string {
  return `otpauth-migration://offline?data=${
    encodeURIComponent(encodeExport(accounts).toBase64())
  }`;
}
