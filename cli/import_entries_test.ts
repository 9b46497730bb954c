import assert from "node:assert/strict";
import { readImportEntries } from "./import_entries.ts";
import { exportUri } from "../testing/google_auth_export.ts";

const SECRET = new TextEncoder().encode("12345678901234567890");
const BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

Deno.test("readImportEntries() reads URIs and exports line by line, skipping blanks and comments", () => {
  const text = [
    "# exported 2026-11-26",
    `otpauth://totp/ACME:alice?secret=${BASE32}&issuer=ACME&digits=8`,
    "",
    exportUri([
      {
        secret: SECRET,
        name: "GitHub:octocat",
        issuer: "GitHub",
        algorithm: 2,
        digits: 1,
        type: 2,
      },
      { secret: SECRET, name: "bob@example.com", algorithm: 3, digits: 2, type: 2 },
      { secret: SECRET, name: "Shop:carol", algorithm: 0, digits: 0, type: 2 },
    ]),
    `  otpauth://totp/dave?secret=${BASE32}&period=60  \r`,
  ].join("\n");
  const entries = readImportEntries(text);
  assert.deepEqual(
    entries.map((e) => [e.source, e.problem, e.credential && { ...e.credential, secret: 0 }]),
    [
      ["2", null, {
        type: "totp",
        counter: null,
        secret: 0,
        algorithm: "SHA1",
        digits: 8,
        period: 30,
        issuer: "ACME",
        accountName: "alice",
      }],
      ["4.1", null, {
        type: "totp",
        counter: null,
        secret: 0,
        algorithm: "SHA256",
        digits: 6,
        period: 30,
        issuer: "GitHub",
        accountName: "octocat",
      }],
      ["4.2", null, {
        type: "totp",
        counter: null,
        secret: 0,
        algorithm: "SHA512",
        digits: 8,
        period: 30,
        issuer: null,
        accountName: "bob@example.com",
      }],
      ["4.3", null, {
        type: "totp",
        counter: null,
        secret: 0,
        algorithm: "SHA1",
        digits: 6,
        period: 30,
        issuer: "Shop",
        accountName: "carol",
      }],
      ["5", null, {
        type: "totp",
        counter: null,
        secret: 0,
        algorithm: "SHA1",
        digits: 6,
        period: 60,
        issuer: null,
        accountName: "dave",
      }],
    ],
  );
  assert.ok(entries.every((e) => e.credential?.secret.toHex() === SECRET.toHex()));
});

Deno.test("readImportEntries() refuses MD5, HOTP and unknown types per account, and bad lines, never quoting them", () => {
  const secretLine = `totp/x?secret=${BASE32}`;
  const text = [
    exportUri([
      { secret: SECRET, name: "md5", algorithm: 4, digits: 1, type: 2 },
      { secret: SECRET, name: "hotp", algorithm: 1, digits: 1, type: 1, counter: -1n },
      { secret: SECRET, name: "odd", algorithm: 1, digits: 1, type: 9 },
      { secret: SECRET, name: "unspecified", algorithm: 1, digits: 1, type: 0 },
      { secret: SECRET, name: "sha3", algorithm: 5, digits: 1, type: 2 },
      { secret: SECRET, name: "seven", algorithm: 1, digits: 3, type: 2 },
      { secret: SECRET.subarray(0, 8), name: "short", algorithm: 1, digits: 1, type: 2 },
      { secret: SECRET, name: "Issuer:", algorithm: 1, digits: 1, type: 2 },
      { secret: SECRET, name: "fine", algorithm: 1, digits: 1, type: 2 },
    ]),
    secretLine,
    "otpauth-migration://offline?data=AAAA%",
    `otpauth://totp/x?secret=${BASE32}&algorithm=MD5`,
    exportUri([]),
    `otpauth://hotp/x?secret=${BASE32}`,
    `otpauth://hotp/x?secret=${BASE32}&counter=18446744073709551616`,
    `otpauth://hotp/x?secret=${BASE32}&counter=-1`,
  ].join("\n");
  const entries = readImportEntries(text);
  assert.deepEqual(entries.map((e) => [e.source, e.problem]), [
    ["1.1", "An MD5 account: RFC 6238 allows SHA1, SHA256 and SHA512 only"],
    ["1.2", "An HOTP account with a negative counter"],
    ["1.3", "An account of unknown OTP type (9)"],
    ["1.4", "An account of unknown OTP type (0)"],
    ["1.5", "An account with an unknown algorithm (5)"],
    ["1.6", "An account with an unknown digit count (3)"],
    ["1.7", "The account has a 64-bit secret; 80 to 512 bits are accepted"],
    ["1.8", "An account without a name"],
    ["1.9", null],
    ["2", "Not an otpauth:// URI or an otpauth-migration:// export"],
    ["3", "The export has a data parameter that is not base64"],
    ["4", "The otpauth URI has an invalid algorithm"],
    ["5", "The export holds no account"],
    ["6", "The otpauth URI has a missing or invalid counter"],
    ["7", "The otpauth URI has a counter that is not an integer from 0 to 2^64 - 1"],
    ["8", "The otpauth URI has a counter that is not an integer from 0 to 2^64 - 1"],
  ]);
  assert.ok(!JSON.stringify(entries.map((e) => e.problem)).includes(BASE32.slice(0, 8)));
});

Deno.test("readImportEntries() reads HOTP URIs and HOTP export accounts with their exact counters", () => {
  const text = [
    `otpauth://hotp/ACME:token1?secret=${BASE32}&issuer=ACME&counter=18446744073709551615`,
    `otpauth://hotp/plain?secret=${BASE32}&counter=9007199254740993&digits=8&algorithm=SHA256`,
    exportUri([
      { secret: SECRET, name: "Bank:eve", issuer: "Bank", algorithm: 1, digits: 1, type: 1 },
      { secret: SECRET, name: "frank", algorithm: 1, digits: 2, type: 1, counter: 42 },
    ]),
  ].join("\n");
  const entries = readImportEntries(text);
  const hotp = (over: Record<string, unknown>) => ({
    type: "hotp",
    secret: 0,
    algorithm: "SHA1",
    digits: 6,
    period: 30,
    ...over,
  });
  assert.deepEqual(
    entries.map((e) => [e.source, e.problem, e.credential && { ...e.credential, secret: 0 }]),
    [
      ["1", null, hotp({ counter: 18446744073709551615n, issuer: "ACME", accountName: "token1" })],
      [
        "2",
        null,
        hotp({
          counter: 9007199254740993n,
          digits: 8,
          algorithm: "SHA256",
          issuer: null,
          accountName: "plain",
        }),
      ],
      ["3.1", null, hotp({ counter: 0n, issuer: "Bank", accountName: "eve" })],
      ["3.2", null, hotp({ counter: 42n, digits: 8, issuer: null, accountName: "frank" })],
    ],
  );
});
