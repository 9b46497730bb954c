/**
 * In-process cost of the cryptography, with `deno bench`:
 * - TOTP generate/verify as the service runs them (per-step code cache) and uncached
 *   (one WebCrypto HMAC per code), against one `node:crypto` HMAC-SHA1 of the same input;
 * - RSA-OAEP (SHA-256) decryption of one 4096-bit block with WebCrypto and `node:crypto`
 *   (bench/run.ts sets these beside `openssl speed rsa4096`).
 */
import { constants, createHmac, createPrivateKey, privateDecrypt } from "node:crypto";
import { createCodeCache } from "../crypto/code_cache.ts";
import { counterToBytes, hotp, importHmacKey } from "../crypto/hotp.ts";
import { generateTotp, verifyTotp } from "../crypto/totp.ts";
import {
  generateRsaKeyPair,
  importRsaPrivateKey,
  importRsaPublicKey,
  privateKeyPemToPkcs8,
} from "../crypto/rsa_keys.ts";
import { decryptOaep, encryptOaep } from "../crypto/rsa_oaep.ts";

const seed = Uint8Array.fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const key = await importHmacKey(seed);
const cached = createCodeCache(key);
const now = 1_764_000_015_000;
const counter = counterToBytes(58_800_000);
await generateTotp(cached, { now }); // fill the cache for the step

Deno.bench(
  "totp generate, cached per step (the service's path)",
  { group: "totp", baseline: true },
  async () => {
    await generateTotp(cached, { now });
  },
);
Deno.bench("totp verify wrong code, cached (3 steps compared)", { group: "totp" }, async () => {
  await verifyTotp(cached, "000000", { now });
});
Deno.bench("hotp uncached: one WebCrypto HMAC-SHA1", { group: "totp" }, async () => {
  await hotp(key, 58_800_000);
});
Deno.bench("node:crypto HMAC-SHA1 of the same counter", { group: "totp" }, () => {
  createHmac("sha1", seed).update(counter).digest();
});

const pair = await generateRsaKeyPair(4096);
const pkcs8 = privateKeyPemToPkcs8(pair.privatePem);
const webKey = await importRsaPrivateKey(pkcs8);
const nodeKey = createPrivateKey({ key: pair.privatePem, format: "pem" });
const ciphertext = await encryptOaep(
  await importRsaPublicKey(pair.spki),
  new TextEncoder().encode("ab".repeat(32)),
);

Deno.bench("RSA-OAEP-4096 decrypt, WebCrypto (the service's path)", {
  group: "rsa",
  baseline: true,
}, async () => {
  await decryptOaep(webKey, ciphertext);
});
Deno.bench("RSA-OAEP-4096 decrypt, node:crypto", { group: "rsa" }, () => {
  privateDecrypt(
    { key: nodeKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    ciphertext,
  );
});
