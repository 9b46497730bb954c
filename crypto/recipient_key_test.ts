import assert from "node:assert/strict";
import { parseRecipientKey, RecipientKeyError } from "./recipient_key.ts";
import { concatBytes, encodeTlv, RSA_ALGORITHM_IDENTIFIER, TAG } from "./der.ts";
import { encodePem } from "./pem.ts";
import { run, runOk } from "../testing/command.ts";
import { INSTRUCTOR_8192, opensslKeyPair } from "../testing/openssl.ts";

/** An SPKI PEM with chosen numbers, for keys no generator would make. */
function spkiPem(n: bigint, e: bigint): string {
  const integer = (value: bigint) => {
    let hex = value.toString(16);
    if (hex.length % 2) hex = "0" + hex;
    if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = "00" + hex;
    return encodeTlv(TAG.INTEGER, Uint8Array.fromHex(hex));
  };
  const rsaPublicKey = encodeTlv(TAG.SEQUENCE, concatBytes(integer(n), integer(e)));
  const spki = encodeTlv(
    TAG.SEQUENCE,
    concatBytes(
      RSA_ALGORITHM_IDENTIFIER,
      encodeTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(0), rsaPublicKey)),
    ),
  );
  return encodePem("PUBLIC KEY", spki);
}

function oddModulus(bits: number): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(bits / 8));
  bytes[0]! |= 0x80;
  bytes[bytes.length - 1]! |= 1;
  return BigInt("0x" + bytes.toHex());
}

Deno.test("parseRecipientKey() accepts SPKI and PKCS#1 PEMs from 2048 to 8192 bits, with openssl's fingerprint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { publicPath } = await opensslKeyPair(dir);
    const pem = await Deno.readTextFile(publicPath);
    // What a user would run: openssl pkey -pubin -outform DER | sha256sum
    const der = await run("openssl", ["pkey", "-pubin", "-in", publicPath, "-outform", "DER"]);
    const expected = new Uint8Array(await crypto.subtle.digest("SHA-256", der.bytes.slice()))
      .toHex();
    const key = await parseRecipientKey(pem);
    assert.deepEqual([key.bits, key.fingerprint], [2048, expected]);
    const pkcs1 = await runOk("openssl", ["rsa", "-pubin", "-in", publicPath, "-RSAPublicKey_out"]);
    assert.equal((await parseRecipientKey(pkcs1)).fingerprint, expected);
    const big = await parseRecipientKey(await Deno.readTextFile(INSTRUCTOR_8192.publicPath));
    assert.equal(big.bits, 8192);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseRecipientKey() refuses bad keys with a message naming the problem", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const small = await opensslKeyPair(dir, { bits: 1024, privateName: "s", publicName: "s.pub" });
    await runOk("openssl", [
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      `${dir}/ec`,
    ]);
    const ecPublic = await runOk("openssl", ["pkey", "-in", `${dir}/ec`, "-pubout"]);
    const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const cases: [string, string][] = [
      ["not a key", "recipient_public_key is not a PEM public key"],
      ["", "recipient_public_key is not a PEM public key"],
      [
        await Deno.readTextFile(small.privatePath),
        "recipient_public_key is a private key; send the public key (openssl pkey -pubout)",
      ],
      [
        await Deno.readTextFile(INSTRUCTOR_8192.privatePath),
        "recipient_public_key is a private key; send the public key (openssl pkey -pubout)",
      ],
      [ecPublic, "recipient_public_key is not an RSA public key"],
      [cert, 'recipient_public_key is a "CERTIFICATE" PEM block, not an RSA public key'],
      [
        await Deno.readTextFile(small.publicPath),
        "recipient_public_key has 1024 bits; 2048 to 8192 are accepted",
      ],
      [
        spkiPem(oddModulus(16384), 65537n),
        "recipient_public_key has 16384 bits; 2048 to 8192 are accepted",
      ],
      [spkiPem(oddModulus(2048), 1n), "recipient_public_key has an invalid modulus or exponent"],
      [
        spkiPem(oddModulus(2048), 65536n),
        "recipient_public_key has an invalid modulus or exponent",
      ],
      [
        spkiPem(oddModulus(2048) - 1n, 65537n),
        "recipient_public_key has an invalid modulus or exponent",
      ],
    ];
    for (const [pem, message] of cases) {
      await assert.rejects(parseRecipientKey(pem), new RecipientKeyError(message), message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
