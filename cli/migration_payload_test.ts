import assert from "node:assert/strict";
import {
  decodeMigrationPayload,
  decodeMigrationUri,
  isMigrationUri,
  MigrationPayloadError,
} from "./migration_payload.ts";

const text = (s: string) => [...new TextEncoder().encode(s)];
/** A length-delimited field: its tag byte, a one-byte length (all parts here are < 128), the bytes. */
const bytesField = (tag: number, bytes: number[]) => [tag, bytes.length, ...bytes];

// Written by hand from the published message layout (not by the library under test).
// OtpParameters tags: 0x0a secret (1, bytes), 0x12 name (2, string), 0x1a issuer (3, string),
// 0x20 algorithm (4, enum), 0x28 digits (5, enum), 0x30 type (6, enum), 0x38 counter (7, int64).
// MigrationPayload tags: 0x0a otp_parameters (1, repeated message), 0x10 version (2),
// 0x18 batch_size (3), 0x20 batch_index (4), 0x28 batch_id (5).
const SECRET_1 = text("12345678901234567890");
// deno-fmt-ignore
const ACCOUNT_1 = [
  ...bytesField(0x0a, SECRET_1),
  ...bytesField(0x12, text("ACME:alice@example.com")),
  ...bytesField(0x1a, text("ACME")),
  0x20, 0x01, // algorithm SHA1
  0x28, 0x01, // digits SIX
  0x30, 0x02, // type TOTP
];
// deno-fmt-ignore
const ACCOUNT_2 = [
  ...bytesField(0x0a, [0xff, 0x00, 0x10, 0x80, 0x7f, 0x01, 0x02, 0x03, 0x04, 0x05]),
  ...bytesField(0x12, text("bob")),
  0x20, 0x04, // algorithm MD5
  0x28, 0x02, // digits EIGHT
  0x30, 0x01, // type HOTP
  0x38, 0xac, 0x02, // counter 300 as a varint
];
// deno-fmt-ignore
const PAYLOAD = new Uint8Array([
  ...bytesField(0x0a, ACCOUNT_1),
  ...bytesField(0x0a, ACCOUNT_2),
  0x10, 0x01, // version 1
  0x18, 0x01, // batch_size 1
  0x20, 0x00, // batch_index 0
  0x28, 0x96, 0x01, // batch_id 150
]);

Deno.test("decodeMigrationPayload() reads hand-written protobuf bytes field by field", () => {
  assert.deepEqual(decodeMigrationPayload(PAYLOAD), [
    {
      secret: new Uint8Array(SECRET_1),
      name: "ACME:alice@example.com",
      issuer: "ACME",
      algorithm: 1,
      digits: 1,
      type: 2,
      counter: 0n,
    },
    {
      secret: Uint8Array.of(0xff, 0x00, 0x10, 0x80, 0x7f, 0x01, 0x02, 0x03, 0x04, 0x05),
      name: "bob",
      issuer: "",
      algorithm: 4,
      digits: 2,
      type: 1,
      counter: 300n,
    },
  ]);
  // Fields a newer exporter may add are skipped (field 15, varint 1).
  assert.equal(decodeMigrationPayload(new Uint8Array([...PAYLOAD, 0x78, 0x01])).length, 2);
  assert.deepEqual(decodeMigrationPayload(new Uint8Array(0)), []);
});

Deno.test("decodeMigrationUri() takes percent-encoded, literal-plus and URL-safe base64", () => {
  const base64 = PAYLOAD.toBase64();
  assert.match(base64, /[+/]/, "the fixture exercises both special characters");
  const variants = [
    `otpauth-migration://offline?data=${encodeURIComponent(base64)}`,
    `otpauth-migration://offline?data=${base64}`,
    `OTPAUTH-MIGRATION://offline?data=${base64.replaceAll("+", "-").replaceAll("/", "_")}`,
    `otpauth-migration://offline?x=1&data=${base64.replace(/=+$/, "")}&y=2`,
  ];
  for (const uri of variants) {
    assert.equal(isMigrationUri(uri), true);
    assert.equal(decodeMigrationUri(uri)[1]!.counter, 300n, uri);
  }
});

Deno.test("decodeMigrationUri() refuses what is not an export, without quoting it", () => {
  const cases: [string, string][] = [
    [
      "otpauth-migration://online?data=AAAA",
      "is not an otpauth-migration://offline?data=... export",
    ],
    [
      "otpauth-migration://offline?foo=bar",
      "is not an otpauth-migration://offline?data=... export",
    ],
    ["otpauth-migration://offline?data=%%%", "has a data parameter that is not base64"],
    ["otpauth-migration://offline?data=!!!!", "has a data parameter that is not base64"],
    [
      `otpauth-migration://offline?data=${PAYLOAD.subarray(0, 20).toBase64()}`,
      "is not a valid Google Authenticator export (protobuf)",
    ],
    [
      `otpauth-migration://offline?data=${Uint8Array.of(0x0a, 0x05, 0x12, 0xff).toBase64()}`,
      "is not a valid Google Authenticator export (protobuf)",
    ],
  ];
  for (const [uri, message] of cases) {
    assert.throws(() => decodeMigrationUri(uri), new MigrationPayloadError(message), uri);
  }
  assert.equal(isMigrationUri("otpauth://totp/x"), false);
});
