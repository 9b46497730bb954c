import assert from "node:assert/strict";
import { decryptSymmetric } from "./symmetric_decrypt.ts";
import { opensslEncrypt, XMLDSIG_MORE, XMLENC, XMLENC11 } from "../testing/pskc_files.ts";

const SECRET = crypto.getRandomValues(new Uint8Array(20));
const IV16 = "000102030405060708090a0b0c0d0e0f";

const CASES = [
  { uri: `${XMLENC}aes128-cbc`, cipher: "aes-128-cbc", keyBytes: 16, iv: IV16 },
  { uri: `${XMLENC}aes192-cbc`, cipher: "aes-192-cbc", keyBytes: 24, iv: IV16 },
  { uri: `${XMLENC}aes256-cbc`, cipher: "aes-256-cbc", keyBytes: 32, iv: IV16 },
  { uri: `${XMLENC}tripledes-cbc`, cipher: "des-ede3-cbc", keyBytes: 24, iv: "0001020304050607" },
  { uri: `${XMLENC11}kw-aes-128-pad`, cipher: "id-aes128-wrap-pad", keyBytes: 16, iv: "a65959a6" },
  { uri: `${XMLENC11}kw-aes-192-pad`, cipher: "id-aes192-wrap-pad", keyBytes: 24, iv: "a65959a6" },
  { uri: `${XMLENC11}kw-aes-256-pad`, cipher: "id-aes256-wrap-pad", keyBytes: 32, iv: "a65959a6" },
];

for (const c of CASES) {
  Deno.test(`decryptSymmetric() opens what openssl enc -${c.cipher} made, and refuses another key`, async () => {
    const key = crypto.getRandomValues(new Uint8Array(c.keyBytes));
    const cipherValue = await opensslEncrypt(c.cipher, key.toHex(), SECRET, c.iv);
    assert.equal((await decryptSymmetric(c.uri, key, cipherValue)).toHex(), SECRET.toHex());
    const other = key.map((b) => b ^ 0x55);
    await assert.rejects(async () => {
      const plain = await decryptSymmetric(c.uri, other, cipherValue);
      // CBC padding may pass by chance (1 in 256); the plaintext must then differ.
      if (plain.toHex() !== SECRET.toHex()) throw new RangeError("different");
    }, RangeError);
  });
}

Deno.test("decryptSymmetric() kw-aes128/192/256 (RFC 3394) open openssl's wraps of a 32-byte secret", async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  for (const bits of [128, 192, 256]) {
    const key = crypto.getRandomValues(new Uint8Array(bits / 8));
    const wrapped = await opensslEncrypt(
      `id-aes${bits}-wrap`,
      key.toHex(),
      secret,
      "a6a6a6a6a6a6a6a6",
    );
    assert.equal(
      (await decryptSymmetric(`${XMLENC}kw-aes${bits}`, key, wrapped)).toHex(),
      secret.toHex(),
    );
  }
});

Deno.test("decryptSymmetric() kw-aes128 gives RFC 3394 §4.1's key data", async () => {
  const plain = await decryptSymmetric(
    `${XMLENC}kw-aes128`,
    Uint8Array.fromHex("000102030405060708090a0b0c0d0e0f"),
    Uint8Array.fromHex("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"),
  );
  assert.equal(plain.toHex(), "00112233445566778899aabbccddeeff");
});

Deno.test("decryptSymmetric() names Camellia, kw-tripledes and unknown algorithms, and checks sizes", async () => {
  const key = new Uint8Array(16);
  const value = new Uint8Array(32);
  await assert.rejects(
    () => decryptSymmetric(`${XMLDSIG_MORE}camellia128-cbc`, key, value),
    new RangeError("Camellia-128-CBC is not supported"),
  );
  await assert.rejects(
    () => decryptSymmetric(`${XMLENC}kw-tripledes`, new Uint8Array(24), value),
    new RangeError("3DES key wrap (kw-tripledes) is not supported"),
  );
  await assert.rejects(
    () => decryptSymmetric("urn:example:rot13", key, value),
    new RangeError('The encryption algorithm "rot13" is not supported'),
  );
  await assert.rejects(
    () => decryptSymmetric(`${XMLENC}aes256-cbc`, key, value),
    new RangeError("aes256-cbc needs a 32-byte key; the key has 16 bytes"),
  );
  await assert.rejects(
    () => decryptSymmetric(`${XMLENC}aes128-cbc`, key, new Uint8Array(16)),
    new RangeError("The aes128-cbc value must be an IV and whole 16-byte blocks"),
  );
});
