import assert from "node:assert/strict";
import {
  encryptOaepAnySize,
  mgf1Sha256,
  modPow,
  oaepCapacity,
  verifyPssAnySize,
} from "./rsa_public_any_size.ts";
import { generateRsaKeyPair, publicKeyPemToSpki } from "./rsa_keys.ts";
import {
  INSTRUCTOR_8192,
  opensslDecrypt,
  opensslDecryptBytes,
  opensslKeyPair,
  opensslSignPss,
} from "../testing/openssl.ts";

const instructorSpki = () => publicKeyPemToSpki(Deno.readTextFileSync(INSTRUCTOR_8192.publicPath));

Deno.test("oaepCapacity() is k - 2·32 - 2: 958 bytes at 8192 bits, 446 at 4096", () => {
  assert.equal(oaepCapacity(8192), 958);
  assert.equal(oaepCapacity(4096), 446);
  assert.equal(oaepCapacity(2048), 190);
});

Deno.test("modPow() computes modular powers", () => {
  assert.equal(modPow(4n, 13n, 497n), 445n);
  assert.equal(modPow(2n, 0n, 7n), 1n);
  assert.equal(modPow(3n, 65537n, 1_000_000_007n), 3n ** 65537n % 1_000_000_007n);
});

Deno.test("mgf1Sha256() matches the definition for several blocks", async () => {
  const seed = Uint8Array.of(1, 2, 3);
  const mask = await mgf1Sha256(seed, 70);
  for (const counter of [0, 1, 2]) {
    const block = new Uint8Array(
      await crypto.subtle.digest("SHA-256", Uint8Array.of(1, 2, 3, 0, 0, 0, counter)),
    );
    assert.deepEqual(
      mask.subarray(counter * 32, counter * 32 + 32),
      block.subarray(0, 70 - counter * 32),
    );
  }
});

Deno.test("encryptOaepAnySize() to an 8192-bit key decrypts with openssl, 958 bytes at most", async () => {
  const spki = instructorSpki();
  const message = crypto.getRandomValues(new Uint8Array(512));
  const ciphertext = await encryptOaepAnySize(spki, message);
  assert.equal(ciphertext.length, 1024);
  assert.deepEqual(await opensslDecryptBytes(INSTRUCTOR_8192.privatePath, ciphertext), message);
  await encryptOaepAnySize(spki, new Uint8Array(958));
  await assert.rejects(() => encryptOaepAnySize(spki, new Uint8Array(959)), {
    name: "RangeError",
    message: "A 8192-bit RSA-OAEP-SHA256 key holds at most 958 bytes; the message has 959",
  });
});

Deno.test("encryptOaepAnySize() to a 2048-bit openssl key decrypts with openssl", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { privatePath, publicPath } = await opensslKeyPair(dir);
    const spki = publicKeyPemToSpki(await Deno.readTextFile(publicPath));
    const seed = "0f".repeat(32);
    const ciphertext = await encryptOaepAnySize(spki, new TextEncoder().encode(seed));
    assert.equal(await opensslDecrypt(privatePath, ciphertext), seed);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verifyPssAnySize() accepts openssl's 8192-bit PSS signature and rejects tampering", async () => {
  const spki = instructorSpki();
  const message = new TextEncoder().encode("a".repeat(40));
  const signature = await opensslSignPss(INSTRUCTOR_8192.privatePath, message);
  assert.equal(signature.length, 1024);
  assert.equal(await verifyPssAnySize(spki, signature, message), true);
  assert.equal(
    await verifyPssAnySize(spki, signature, new TextEncoder().encode("b".repeat(40))),
    false,
  );
  const flipped = signature.slice();
  flipped[100]! ^= 1;
  assert.equal(await verifyPssAnySize(spki, flipped, message), false);
  assert.equal(await verifyPssAnySize(spki, signature.subarray(1), message), false);
});

Deno.test("verifyPssAnySize() accepts WebCrypto PSS signatures of any salt length", async () => {
  const pair = await generateRsaKeyPair(2048);
  const key = await crypto.subtle.importKey(
    "pkcs8",
    Uint8Array.fromBase64(pair.privatePem.replace(/-----[^-]+-----|\s/g, "")),
    { name: "RSA-PSS", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const message = new TextEncoder().encode("commit");
  for (const saltLength of [0, 32, 222]) {
    const signature = new Uint8Array(
      await crypto.subtle.sign({ name: "RSA-PSS", saltLength }, key, message),
    );
    assert.equal(await verifyPssAnySize(pair.spki, signature, message), true, `salt ${saltLength}`);
  }
});
