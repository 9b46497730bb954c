/** Files that must not import, each with the one reason it gives. */
import assert from "node:assert/strict";
import { parsePskc, PskcError } from "./pskc_document.ts";
import { type PackageResult, readPskcTokens } from "./pskc_tokens.ts";
import {
  encryptedSecret,
  keyContainer,
  keyPackage,
  macMethod,
  opensslEncrypt,
  opensslHmac,
  plainSecret,
  XMLDSIG,
  XMLDSIG_MORE,
  XMLENC,
} from "../testing/pskc_files.ts";

const SECRET = new TextEncoder().encode("12345678901234567890");
const KEY = "00112233445566778899aabbccddeeff";
const MAC_KEY = "0102030405060708090a0b0c0d0e0f1011121314";
const IV = "0f0e0d0c0b0a09080706050403020100";
const PRE_SHARED = { preSharedKey: Uint8Array.fromHex(KEY) };

function reasons(results: PackageResult[]): string[] {
  return results.map((r) => (r.status === "ok" ? `ok ${r.subjectId}` : `${r.status}: ${r.reason}`));
}

/** A pre-shared-key file whose package uses `secretXml`, with the MAC key encrypted by openssl. */
async function macFile(secretXml: string): Promise<string> {
  const macKey = await opensslEncrypt("aes-128-cbc", KEY, Uint8Array.fromHex(MAC_KEY), IV);
  return keyContainer([keyPackage({ id: "k1", secretXml })], {
    header: `<EncryptionKey><ds:KeyName>psk</ds:KeyName></EncryptionKey>` +
      macMethod(`${XMLDSIG}hmac-sha1`, `${XMLENC}aes128-cbc`, macKey),
  });
}

Deno.test("a wrong ValueMAC and a missing one are refused for that package", async () => {
  const cipher = await opensslEncrypt("aes-128-cbc", KEY, SECRET, IV);
  const good = await opensslHmac("sha1", MAC_KEY, cipher);
  const bad = good.slice();
  bad[0]! ^= 0x80;
  const cases: [string, string][] = [
    [encryptedSecret(`${XMLENC}aes128-cbc`, cipher, { mac: good }), "ok k1"],
    [
      encryptedSecret(`${XMLENC}aes128-cbc`, cipher, { mac: bad }),
      "invalid: The Secret's ValueMAC does not match (wrong key or altered file)",
    ],
    [
      encryptedSecret(`${XMLENC}aes128-cbc`, cipher),
      "invalid: The Secret has no ValueMAC, which the container's MACMethod makes mandatory",
    ],
  ];
  for (const [secretXml, expected] of cases) {
    const results = await readPskcTokens(parsePskc(await macFile(secretXml)), PRE_SHARED);
    assert.deepEqual(reasons(results), [expected]);
  }
});

Deno.test("a ValueMAC without a MACMethod, a missing EncryptionMethod, and Camellia are refused", async () => {
  const cipher = await opensslEncrypt("aes-128-cbc", KEY, SECRET, IV);
  const header = `<EncryptionKey><ds:KeyName>psk</ds:KeyName></EncryptionKey>`;
  const noMethod = `<EncryptedValue><xenc:CipherData><xenc:CipherValue>${cipher.toBase64()}` +
    `</xenc:CipherValue></xenc:CipherData></EncryptedValue>`;
  const file = keyContainer([
    keyPackage({
      id: "a",
      secretXml: encryptedSecret(`${XMLENC}aes128-cbc`, cipher, { mac: cipher.subarray(0, 20) }),
    }),
    keyPackage({ id: "b", secretXml: noMethod }),
    keyPackage({ id: "c", secretXml: encryptedSecret(`${XMLDSIG_MORE}camellia128-cbc`, cipher) }),
    keyPackage({ id: "d", secretXml: encryptedSecret(`${XMLENC}aes128-cbc`, cipher) }),
  ], { header });
  assert.deepEqual(reasons(await readPskcTokens(parsePskc(file), PRE_SHARED)), [
    "invalid: The Secret has a ValueMAC but the container has no MACMethod",
    "invalid: The encrypted EncryptedValue has no EncryptionMethod",
    "invalid: Camellia-128-CBC is not supported",
    "ok d",
  ]);
});

Deno.test("unknown algorithms, suites, lengths, counters and duplicate ids are reported per package", async () => {
  const plain = plainSecret(SECRET);
  const file = keyContainer([
    keyPackage({
      id: "ocra",
      algorithm: "urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1:HOTP-SHA512-8:C-QN08",
      secretXml: plain,
    }),
    keyPackage({ id: "vendor", algorithm: "http://vendor.example/otp#fancy", secretXml: plain }),
    keyPackage({ id: "md5", suite: "HMAC-MD5", secretXml: plain }),
    keyPackage({ id: "seven", digits: "7", secretXml: plain }),
    keyPackage({ id: "max", counter: "18446744073709551615", secretXml: plain }),
    keyPackage({ id: "over", counter: "18446744073709551616", secretXml: plain }),
    keyPackage({ id: "neg", counter: "-1", secretXml: plain }),
    keyPackage({ id: "max", secretXml: plain }),
    keyPackage({ id: "short", secretXml: plainSecret(SECRET.subarray(0, 9)) }),
  ]);
  assert.deepEqual(reasons(await readPskcTokens(parsePskc(file), {})), [
    'unsupported: The algorithm "OCRA-1:HOTP-SHA512-8:C-QN08" is not supported (HOTP and TOTP only)',
    'unsupported: The algorithm "fancy" is not supported (HOTP and TOTP only)',
    'unsupported: The suite "HMAC-MD5" is not supported (SHA1, SHA256 or SHA512)',
    'invalid: The response length "7" is not supported (6 or 8)',
    "ok max",
    "invalid: The Counter 18446744073709551616 is out of range (0 to 18446744073709551615)",
    'invalid: The Counter "-1" is not a whole number',
    'invalid: The subject id "max" is also that of package 5',
    "invalid: The secret has 9 bytes; 10 to 64 are accepted",
  ]);
});

Deno.test("container-level problems: wrong version, not PSKC, DOCTYPE", () => {
  const plain = keyPackage({ id: "a", secretXml: plainSecret(SECRET) });
  assert.throws(
    () => parsePskc(keyContainer([plain], { version: "1.2" })),
    new PskcError('The PSKC version "1.2" is not supported (only 1.0)'),
  );
  assert.throws(
    () => parsePskc(`<KeyContainer Version="1.0" xmlns="urn:example:not-pskc"/>`),
    new PskcError(
      "The root element is not a PSKC KeyContainer (in urn:ietf:params:xml:ns:keyprov:pskc)",
    ),
  );
  assert.throws(
    () =>
      parsePskc(
        `<!DOCTYPE KeyContainer [<!ENTITY s "x">]>` +
          keyContainer([plain]).replace(/^<\?xml[^>]*>/, ""),
      ),
    new PskcError("The document has a DOCTYPE; it is refused"),
  );
});

Deno.test("serial numbers keep their leading zeros; a TOTP key gets its TimeInterval and suite", async () => {
  const file = keyContainer([
    keyPackage({
      id: "t1",
      algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:totp",
      suite: "HMAC-SHA256",
      digits: "6",
      timeInterval: "60",
      serialNo: "000123",
      manufacturer: "Feitian",
      secretXml: plainSecret(SECRET),
    }),
  ]);
  const [result] = await readPskcTokens(parsePskc(file), {});
  assert.equal(result?.status, "ok");
  if (result?.status !== "ok") return;
  assert.deepEqual(
    [result.token.type, result.token.algorithm, result.token.period, result.token.serialNo],
    ["totp", "SHA256", 60, "000123"],
  );
});
