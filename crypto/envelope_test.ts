import assert from "node:assert/strict";
import { createWrappedDataKey, openSecret, sealSecret, unwrapDataKey } from "./envelope.ts";
import {
  generateRsaKeyPair,
  importRsaPrivateKey,
  importRsaPublicKey,
  privateKeyPemToPkcs8,
} from "./rsa_keys.ts";

Deno.test("a secret sealed under an RSA-wrapped data key opens only with the same key and context", async () => {
  const pair = await generateRsaKeyPair(2048);
  const privateKey = await importRsaPrivateKey(privateKeyPemToPkcs8(pair.privatePem));
  const wrapped = await createWrappedDataKey(await importRsaPublicKey(pair.spki));
  assert.equal(Uint8Array.fromBase64(wrapped).length, 256);
  const key = await unwrapDataKey(privateKey, wrapped);
  const secret = crypto.getRandomValues(new Uint8Array(20));
  const sealed = await sealSecret(key, secret, "alice");
  assert.ok(!sealed.includes(secret.toBase64()));
  assert.deepEqual(await openSecret(key, sealed, "alice"), secret);
  assert.notEqual(await sealSecret(key, secret, "alice"), sealed, "a fresh IV each time");
  await assert.rejects(() => openSecret(key, sealed, "bob"), {
    message: "The sealed secret does not open with this key and context",
  });
  const other = await unwrapDataKey(
    privateKey,
    await createWrappedDataKey(await importRsaPublicKey(pair.spki)),
  );
  await assert.rejects(() => openSecret(other, sealed, "alice"), TypeError);
});
