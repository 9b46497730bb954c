import assert from "node:assert/strict";
import { parsePskc, PskcError } from "./pskc_document.ts";
import {
  KeyRequiredError,
  type PackageResult,
  readPskcTokens,
  requiredKey,
} from "./pskc_tokens.ts";

const FIXTURES = new URL("../testing/fixtures/pskc/", import.meta.url);
const RFC_SECRET = new TextEncoder().encode("12345678901234567890").toHex();
const figure = (n: number) =>
  Deno.readTextFileSync(new URL(`rfc6030_figure${n}.pskcxml`, FIXTURES));

/** The results without the secret bytes, plus the secret as hex, for one deepEqual. */
function summary(results: PackageResult[]) {
  return results.map((r) =>
    r.status === "ok" ? { ...r, token: { ...r.token, secret: r.token.secret.toHex() } } : r
  );
}

function rfcToken(overrides: Record<string, unknown>) {
  return {
    type: "hotp",
    algorithm: "SHA1",
    digits: 8,
    period: 30,
    counter: 0n,
    secret: RFC_SECRET,
    issuer: "Issuer",
    manufacturer: "Manufacturer",
    serialNo: "987654321",
    warnings: [],
    ...overrides,
  };
}

Deno.test("RFC 6030 Figure 3 (plain) gives the RFC's secret, 8 digits, counter 0 and the device fields", async () => {
  const document = parsePskc(figure(3));
  assert.equal(requiredKey(document), null);
  assert.deepEqual(summary(await readPskcTokens(document, {}, { prefix: "fig3-" })), [{
    index: 1,
    keyId: "12345678",
    subjectId: "fig3-12345678",
    status: "ok",
    token: rfcToken({ subjectId: "fig3-12345678" }),
  }]);
});

Deno.test("RFC 6030 Figure 6 (AES-128-CBC, pre-shared key, HMAC-SHA1) decrypts with the RFC's key", async () => {
  const document = parsePskc(figure(6));
  assert.equal(requiredKey(document), "pre-shared");
  const results = await readPskcTokens(document, {
    preSharedKey: Uint8Array.fromHex("12345678901234567890123456789012"),
  });
  assert.deepEqual(summary(results), [{
    index: 1,
    keyId: "12345678",
    subjectId: "12345678",
    status: "ok",
    token: rfcToken({ subjectId: "12345678" }),
  }]);
});

Deno.test("RFC 6030 Figure 7 (PBKDF2 passphrase) decrypts with the RFC's passphrase", async () => {
  const document = parsePskc(figure(7));
  assert.equal(requiredKey(document), "passphrase");
  assert.deepEqual(summary(await readPskcTokens(document, { passphrase: "qwerty" })), [{
    index: 1,
    keyId: "123456",
    subjectId: "123456",
    status: "ok",
    token: rfcToken({
      subjectId: "123456",
      issuer: "Example-Issuer",
      manufacturer: "TokenVendorAcme",
    }),
  }]);
});

Deno.test("Figure 6 with a wrong pre-shared key and Figure 7 with a wrong passphrase fail on the MAC key", async () => {
  await assert.rejects(
    readPskcTokens(parsePskc(figure(6)), { preSharedKey: new Uint8Array(16) }),
    new PskcError(
      "The MAC key cannot be decrypted: The value does not decrypt with aes128-cbc (wrong key or damaged data)",
    ),
  );
  const wrongPassphrase = await readPskcTokens(parsePskc(figure(7)), { passphrase: "qwertz" })
    .catch((error) => error);
  assert.ok(wrongPassphrase instanceof PskcError, String(wrongPassphrase));
});

Deno.test("a file that needs a key says which when none is given", async () => {
  await assert.rejects(
    readPskcTokens(parsePskc(figure(6)), {}),
    new KeyRequiredError(
      "pre-shared",
      'The secrets are encrypted with a pre-shared key named "Pre-shared-key"',
    ),
  );
  await assert.rejects(
    readPskcTokens(parsePskc(figure(7)), { preSharedKey: new Uint8Array(16) }),
    new KeyRequiredError(
      "passphrase",
      "The secrets are encrypted with a key derived from a passphrase",
    ),
  );
});

Deno.test("RFC 6030 Figure 2's 4-byte secret is refused; Figure 5's PIN key is unsupported, its HOTP key imports", async () => {
  assert.deepEqual(summary(await readPskcTokens(parsePskc(figure(2)), {})), [{
    index: 1,
    keyId: "12345678",
    subjectId: "12345678",
    status: "invalid",
    reason: "The secret has 4 bytes; 10 to 64 are accepted",
  }]);
  const five = summary(await readPskcTokens(parsePskc(figure(5)), {}));
  assert.deepEqual(five, [
    {
      index: 1,
      keyId: "12345678",
      subjectId: "12345678",
      status: "ok",
      token: rfcToken({ subjectId: "12345678" }),
    },
    {
      index: 2,
      keyId: "123456781",
      subjectId: "123456781",
      status: "unsupported",
      reason: 'The algorithm "pin" is not supported (HOTP and TOTP only)',
    },
  ]);
});

Deno.test("RFC 6030 Figure 10 (bulk): four keys, two on one device serial, all imported", async () => {
  const results = summary(await readPskcTokens(parsePskc(figure(10)), {}, { prefix: "acme." }));
  assert.deepEqual(
    results.map((r) => r.status === "ok" ? [r.subjectId, r.token.serialNo, r.token.secret] : r),
    [
      ["acme.1", "654321", RFC_SECRET],
      ["acme.2", "123456", RFC_SECRET],
      ["acme.3", "9999999", RFC_SECRET],
      ["acme.4", "9999999", RFC_SECRET],
    ],
  );
});
