import assert from "node:assert/strict";
import { decryptOaepWithAny, encryptOaep } from "./rsa_oaep.ts";

async function pair() {
  return await crypto.subtle.generateKey(
    {
      name: "RSA-OAEP",
      modulusLength: 2048,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: "SHA-256",
    },
    false,
    ["encrypt", "decrypt"],
  ) as CryptoKeyPair;
}

Deno.test("decryptOaepWithAny() opens a block for any key of the list and says which; one error otherwise", async () => {
  const [a, b, c] = [await pair(), await pair(), await pair()];
  const keys = [a.privateKey, b.privateKey];
  const forB = await encryptOaep(b.publicKey, new TextEncoder().encode("to b"));
  const { plaintext, index } = await decryptOaepWithAny(keys, forB);
  assert.equal(new TextDecoder().decode(plaintext), "to b");
  assert.equal(index, 1);
  assert.equal(
    (await decryptOaepWithAny(keys, await encryptOaep(a.publicKey, Uint8Array.of(1)))).index,
    0,
  );
  const forC = await encryptOaep(c.publicKey, Uint8Array.of(1));
  for (const bad of [forC, forC.subarray(1).slice(), new Uint8Array(0), new Uint8Array(256)]) {
    await assert.rejects(decryptOaepWithAny(keys, bad), {
      name: "TypeError",
      message: "RSA-OAEP decryption failed",
    });
  }
  await assert.rejects(decryptOaepWithAny([], forB), { message: "RSA-OAEP decryption failed" });
});
