import assert from "node:assert/strict";
import {
  generateEd25519Pem,
  importEd25519PrivatePem,
  importEd25519PublicPem,
  signEd25519,
  verifyEd25519,
} from "./ed25519.ts";
import { run, runOk } from "../testing/command.ts";
import { withTempDir } from "../testing/temp_dir.ts";

const message = new TextEncoder().encode("pki-2fa-audit-checkpoint-v1\nabc\n2\n...");

Deno.test("Ed25519: a generated key signs, and its public PEM verifies; another message fails", async () => {
  const key = await importEd25519PrivatePem(await generateEd25519Pem());
  const signature = await signEd25519(key.privateKey, message);
  assert.equal(signature.length, 64);
  const published = await importEd25519PublicPem(key.publicPem);
  assert.equal(published.kid, key.kid);
  assert.equal(await verifyEd25519(published.publicKey, signature, message), true);
  assert.equal(
    await verifyEd25519(published.publicKey, signature, new TextEncoder().encode("other")),
    false,
  );
  assert.equal(
    await verifyEd25519(published.publicKey, signature.subarray(0, 63).slice(), message),
    false,
  );
});

Deno.test("Ed25519: an openssl key signs what openssl pkeyutl -verify -rawin accepts; kid is openssl's SHA-256 of the SPKI DER", async () => {
  await withTempDir(async (dir) => {
    await runOk("openssl", ["genpkey", "-algorithm", "ed25519", "-out", `${dir}/k.pem`]);
    await runOk("openssl", ["pkey", "-in", `${dir}/k.pem`, "-pubout", "-out", `${dir}/pub.pem`]);
    const key = await importEd25519PrivatePem(await Deno.readTextFile(`${dir}/k.pem`));
    assert.equal(key.publicPem, await Deno.readTextFile(`${dir}/pub.pem`));
    const der = await run("openssl", [
      "pkey",
      "-pubin",
      "-in",
      `${dir}/pub.pem`,
      "-outform",
      "DER",
    ]);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(der.bytes)));
    assert.equal(key.kid, digest.toHex());

    await Deno.writeFile(`${dir}/msg`, message);
    await Deno.writeFile(`${dir}/sig`, await signEd25519(key.privateKey, message));
    const args = [
      "pkeyutl",
      "-verify",
      "-pubin",
      "-inkey",
      `${dir}/pub.pem`,
      "-rawin",
      "-in",
      `${dir}/msg`,
      "-sigfile",
      `${dir}/sig`,
    ];
    const good = await run("openssl", args);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /Signature Verified Successfully/);
    await Deno.writeFile(`${dir}/msg`, new TextEncoder().encode("changed"));
    assert.equal((await run("openssl", args)).code, 1);
  });
});

Deno.test("Ed25519: keys of other kinds are refused with a message that names the problem", async () => {
  await withTempDir(async (dir) => {
    await runOk("openssl", [
      "genpkey",
      "-algorithm",
      "RSA",
      "-pkeyopt",
      "rsa_keygen_bits:2048",
      "-out",
      `${dir}/rsa.pem`,
    ]);
    await runOk("openssl", [
      "pkey",
      "-in",
      `${dir}/rsa.pem`,
      "-pubout",
      "-out",
      `${dir}/rsa_pub.pem`,
    ]);
    await assert.rejects(importEd25519PrivatePem(await Deno.readTextFile(`${dir}/rsa.pem`)), {
      name: "TypeError",
      message: "The private key is not an Ed25519 key in PKCS#8 form",
    });
    await assert.rejects(importEd25519PublicPem(await Deno.readTextFile(`${dir}/rsa_pub.pem`)), {
      name: "TypeError",
      message: "The public key is not an Ed25519 key in SPKI form",
    });
    const key = await importEd25519PrivatePem(await generateEd25519Pem());
    await assert.rejects(importEd25519PrivatePem(key.publicPem), {
      message: 'Expected an Ed25519 private key PEM, found "PUBLIC KEY"',
    });
  });
});
