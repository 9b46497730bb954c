import assert from "node:assert/strict";
import { isOtpauthUri, OtpauthUriError, parseOtpauthUri } from "./parse_otpauth_uri.ts";

// RFC 6238's SHA-1 seed "12345678901234567890" in base32.
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const RFC_BYTES = new TextEncoder().encode("12345678901234567890");

/** A credential of the RFC secret with the Key URI Format's defaults, and `over`. */
function credential(over: Record<string, unknown>) {
  const defaults = { algorithm: "SHA1", digits: 6, period: 30 };
  return { type: "totp", counter: null, secret: RFC_BYTES, ...defaults, ...over };
}

Deno.test("parseOtpauthUri() reads every parameter, label prefix and issuer", () => {
  const parsed = parseOtpauthUri(
    `otpauth://totp/ACME%20Co:alice%40example.com?secret=${RFC_SECRET}&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60`,
  );
  assert.deepEqual(parsed, {
    type: "totp",
    counter: null,
    secret: RFC_BYTES,
    algorithm: "SHA256",
    digits: 8,
    period: 60,
    issuer: "ACME Co",
    accountName: "alice@example.com",
  });
});

Deno.test("parseOtpauthUri() applies the Key URI Format's defaults and takes the issuer from the label", () => {
  assert.deepEqual(
    parseOtpauthUri(`otpauth://totp/Example:bob?secret=${RFC_SECRET.toLowerCase()}`),
    credential({ issuer: "Example", accountName: "bob" }),
  );
  assert.deepEqual(
    parseOtpauthUri(`OTPAUTH://TOTP/carol?secret=${RFC_SECRET}&image=https%3A%2F%2Fx.test%2Fa.png`),
    credential({ issuer: null, accountName: "carol" }),
  );
  // An 80-bit secret (16 base32 characters, as many services issue) is accepted.
  assert.equal(parseOtpauthUri("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP").secret.length, 10);
});

Deno.test("parseOtpauthUri() refuses what the service cannot verify, naming the problem", () => {
  const cases: [string, string][] = [
    ["https://example.com/", "The otpauth URI does not start with otpauth://"],
    [
      "otpauth://totp/x",
      "The otpauth URI is malformed (expected otpauth://totp/LABEL?secret=BASE32&...)",
    ],
    [
      "otpauth://totp/x?issuer=a",
      "The otpauth URI has a missing or invalid secret (base32 expected)",
    ],
    [
      "otpauth://totp/x?secret=ABC1DEF",
      "The otpauth URI has a missing or invalid secret (base32 expected)",
    ],
    [
      `otpauth://hotp/x?secret=${RFC_SECRET}&counter=1`,
      "The otpauth URI is otpauth://hotp; only otpauth://totp is imported here",
    ],
    [
      "otpauth://motp/x?secret=" + RFC_SECRET,
      "The otpauth URI is malformed (expected otpauth://totp/LABEL?secret=BASE32&...)",
    ],
    [
      `otpauth://totp/x?secret=${RFC_SECRET}&algorithm=MD5`,
      "The otpauth URI has an invalid algorithm",
    ],
    [
      `otpauth://totp/x?secret=${RFC_SECRET}&algorithm=SHA224`,
      "The otpauth URI uses SHA224; the service supports SHA1, SHA256, SHA512",
    ],
    [
      `otpauth://totp/x?secret=${RFC_SECRET}&digits=7`,
      "The otpauth URI has 7 digits; the service supports 6 or 8",
    ],
    [
      `otpauth://totp/x?secret=${RFC_SECRET}&digits=six`,
      "The otpauth URI has an invalid digits parameter",
    ],
    [
      `otpauth://totp/x?secret=${RFC_SECRET}&period=10`,
      "The otpauth URI has a period of 10 s; the service supports 15 to 120",
    ],
    [`otpauth://totp/x?secret=${RFC_SECRET}&period=0`, "The otpauth URI has an invalid period"],
    [
      "otpauth://totp/x?secret=JBSWY3DPEHPK3P",
      "The otpauth URI has a 64-bit secret; 80 to 512 bits are accepted",
    ],
    [
      `otpauth://totp/x?secret=${"A".repeat(104)}`,
      "The otpauth URI has a 520-bit secret; 80 to 512 bits are accepted",
    ],
    [
      `otpauth://totp/${"a".repeat(201)}?secret=${RFC_SECRET}`,
      "The otpauth URI has a label or issuer over 200 characters",
    ],
    [`otpauth://totp/%E0%A4%A?secret=${RFC_SECRET}`, "The otpauth URI is malformed"],
  ];
  for (const [uri, message] of cases) {
    assert.throws(() => parseOtpauthUri(uri), new OtpauthUriError(message), uri);
  }
});

Deno.test("parseOtpauthUri({ hotp: true }) reads otpauth://hotp with its exact counter; the default refuses it", () => {
  const uri = `otpauth://hotp/ACME:tok?secret=${RFC_SECRET}&issuer=ACME&counter=9007199254740993`;
  assert.deepEqual(
    parseOtpauthUri(uri, { hotp: true }),
    credential({ type: "hotp", counter: 9007199254740993n, issuer: "ACME", accountName: "tok" }),
  );
  assert.throws(
    () => parseOtpauthUri(uri),
    new OtpauthUriError("The otpauth URI is otpauth://hotp; only otpauth://totp is imported here"),
  );
  assert.throws(
    () =>
      parseOtpauthUri(uri.replace(/counter=\d+/, "counter=99999999999999999999"), { hotp: true }),
    new OtpauthUriError("The otpauth URI has a counter that is not an integer from 0 to 2^64 - 1"),
  );
});

Deno.test("parseOtpauthUri() never puts the secret in an error message", () => {
  const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX!";
  try {
    parseOtpauthUri(`otpauth://totp/x?secret=${secret}`);
    assert.fail("accepted");
  } catch (error) {
    assert.ok(error instanceof OtpauthUriError);
    assert.ok(!error.message.includes("JBSWY3DP"), error.message);
  }
});

Deno.test("isOtpauthUri() tells URIs from hex seeds, in any case", () => {
  assert.equal(isOtpauthUri("otpauth://totp/x"), true);
  assert.equal(isOtpauthUri("OTPAUTH://totp/x"), true);
  assert.equal(isOtpauthUri("ab".repeat(32)), false);
  assert.equal(isOtpauthUri(" otpauth://totp/x"), false);
});
