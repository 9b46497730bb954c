/**
 * Google Authenticator's "Transfer accounts" export: `otpauth-migration://offline?data=...`,
 * whose `data` is the base64 of a protobuf `MigrationPayload`.
 *
 * Decoded with @bufbuild/protobuf (npm), a maintained, conformance-tested protobuf runtime,
 * from a descriptor built here at run time: the message layout is a dozen fields, so no
 * `protoc`/`buf` code generation step (and no generated file to keep in step) is needed, and
 * the library still does all the wire-format work — varints, lengths, unknown fields,
 * truncation — that a hand-written reader would get wrong at the edges.
 *
 * The layout (as published by the many independent decoders of these exports):
 *
 * ```proto
 * message MigrationPayload {
 *   enum Algorithm { ALGORITHM_UNSPECIFIED = 0; SHA1 = 1; SHA256 = 2; SHA512 = 3; MD5 = 4; }
 *   enum DigitCount { DIGIT_COUNT_UNSPECIFIED = 0; SIX = 1; EIGHT = 2; }
 *   enum OtpType { OTP_TYPE_UNSPECIFIED = 0; HOTP = 1; TOTP = 2; }
 *   message OtpParameters {
 *     bytes secret = 1; string name = 2; string issuer = 3; Algorithm algorithm = 4;
 *     DigitCount digits = 5; OtpType type = 6; int64 counter = 7;
 *   }
 *   repeated OtpParameters otp_parameters = 1;
 *   int32 version = 2; int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5;
 * }
 * ```
 *
 * @module
 */
import { create, createFileRegistry, type DescMessage, fromBinary } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";

/** One account of an export, as the payload holds it (enums as their numbers). */
export interface MigrationEntry {
  secret: Uint8Array;
  name: string;
  issuer: string;
  /** 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5. */
  algorithm: number;
  /** 0 unspecified, 1 six, 2 eight. */
  digits: number;
  /** 0 unspecified, 1 HOTP, 2 TOTP. */
  type: number;
  counter: bigint;
}

/** The export cannot be read; the message never holds its content. */
export class MigrationPayloadError extends Error {
  override name = "MigrationPayloadError";
}

const PACKAGE = "googleauth";
const enumOf = (name: string, values: string[]) => ({
  name,
  value: values.map((value, number) => ({ name: `${name.toUpperCase()}_${value}`, number })),
});
const field = (name: string, number: number, type: Type, typeName?: string) => ({
  name,
  number,
  type,
  label: Label.OPTIONAL,
  ...(typeName ? { typeName: `.${PACKAGE}.MigrationPayload.${typeName}` } : {}),
});

const PAYLOAD: DescMessage = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "google_auth_migration.proto",
    package: PACKAGE,
    syntax: "proto3",
    messageType: [{
      name: "MigrationPayload",
      field: [
        {
          ...field("otp_parameters", 1, Type.MESSAGE, "OtpParameters"),
          label: Label.REPEATED,
        },
        field("version", 2, Type.INT32),
        field("batch_size", 3, Type.INT32),
        field("batch_index", 4, Type.INT32),
        field("batch_id", 5, Type.INT32),
      ],
      nestedType: [{
        name: "OtpParameters",
        field: [
          field("secret", 1, Type.BYTES),
          field("name", 2, Type.STRING),
          field("issuer", 3, Type.STRING),
          field("algorithm", 4, Type.ENUM, "Algorithm"),
          field("digits", 5, Type.ENUM, "DigitCount"),
          field("type", 6, Type.ENUM, "OtpType"),
          field("counter", 7, Type.INT64),
        ],
      }],
      enumType: [
        enumOf("Algorithm", ["UNSPECIFIED", "SHA1", "SHA256", "SHA512", "MD5"]),
        enumOf("DigitCount", ["UNSPECIFIED", "SIX", "EIGHT"]),
        enumOf("OtpType", ["UNSPECIFIED", "HOTP", "TOTP"]),
      ],
    }],
  }),
  () => undefined,
).getMessage(`${PACKAGE}.MigrationPayload`)!;

/** True when `line` is a Google Authenticator export URI. */
export function isMigrationUri(line: string): boolean {
  return /^otpauth-migration:\/\//i.test(line);
}

/**
 * Decodes an `otpauth-migration://offline?data=...` URI into its entries.
 *
 * @throws {MigrationPayloadError} when it is not a readable export
 */
export function decodeMigrationUri(uri: string): MigrationEntry[] {
  const match = /^otpauth-migration:\/\/offline\?(?:.*&)?data=([^&]*)/i.exec(uri);
  if (!match) {
    throw new MigrationPayloadError(
      "is not an otpauth-migration://offline?data=... export",
    );
  }
  let bytes: Uint8Array;
  try {
    // decodeURIComponent leaves a literal "+" alone (URLSearchParams would make it a space),
    // and the URL-safe alphabet is accepted too.
    const base64 = decodeURIComponent(match[1]!).replaceAll("-", "+").replaceAll("_", "/");
    bytes = Uint8Array.fromBase64(base64);
  } catch {
    throw new MigrationPayloadError("has a data parameter that is not base64");
  }
  return decodeMigrationPayload(bytes);
}

/**
 * Decodes the protobuf bytes of a `MigrationPayload`.
 *
 * @throws {MigrationPayloadError} when they are not one
 */
export function decodeMigrationPayload(bytes: Uint8Array): MigrationEntry[] {
  let payload: { otpParameters: MigrationEntry[] };
  try {
    payload = fromBinary(PAYLOAD, bytes) as unknown as { otpParameters: MigrationEntry[] };
  } catch {
    throw new MigrationPayloadError("is not a valid Google Authenticator export (protobuf)");
  }
  return payload.otpParameters.map((p) => ({
    secret: p.secret,
    name: p.name,
    issuer: p.issuer,
    algorithm: p.algorithm,
    digits: p.digits,
    type: p.type,
    counter: p.counter,
  }));
}
