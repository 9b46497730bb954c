import assert from "node:assert/strict";
import {
  generateRsaKeyPair,
  importRsaPrivateKey,
  importRsaPublicKey,
  privateKeyBits,
  privateKeyPemToPkcs8,
  publicKeyPemToSpki,
  publicSpkiFromPkcs8,
  rsaPublicNumbers,
  spkiFingerprint,
} from "./rsa_keys.ts";
import { decryptOaep, encryptOaep } from "./rsa_oaep.ts";
import { decodePem, encodePem } from "./pem.ts";
import { opensslDecrypt, opensslEncrypt, opensslKeyPair } from "../testing/openssl.ts";
import { run, runOk } from "../testing/command.ts";

const SEED = "9f2c4e1d7b3a5c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f506";

async function decryptWithPem(privatePem: string, base64: string): Promise<string> {
  const key = await importRsaPrivateKey(privateKeyPemToPkcs8(privatePem));
  const plain = await decryptOaep(key, Uint8Array.fromBase64(base64));
  return new TextDecoder().decode(plain);
}

for (const format of ["pkcs8", "pkcs1"] as const) {
  Deno.test(`an openssl ${format} key decrypts an openssl pkeyutl OAEP-SHA256 ciphertext`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const { privatePath, publicPath } = await opensslKeyPair(dir, { format });
      const pem = await Deno.readTextFile(privatePath);
      assert.match(pem, format === "pkcs8" ? /BEGIN PRIVATE KEY/ : /BEGIN RSA PRIVATE KEY/);
      assert.equal(await decryptWithPem(pem, await opensslEncrypt(publicPath, SEED)), SEED);
      // The public key we derive is byte-for-byte the one openssl derives.
      const ours = publicSpkiFromPkcs8(privateKeyPemToPkcs8(pem));
      assert.deepEqual(ours, publicKeyPemToSpki(await Deno.readTextFile(publicPath)));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("generateRsaKeyPair() makes a 4096-bit e=65537 pair that openssl reads and uses", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pair = await generateRsaKeyPair(4096);
    await Deno.writeTextFile(`${dir}/private.pem`, pair.privatePem);
    await Deno.writeTextFile(`${dir}/public.pem`, pair.publicPem);
    const text = await runOk("openssl", ["pkey", "-in", `${dir}/private.pem`, "-noout", "-text"]);
    assert.match(text, /Private-Key: \(4096 bit, 2 primes\)/);
    assert.match(text, /publicExponent: 65537 \(0x10001\)/);
    const pub = await runOk("openssl", [
      "rsa",
      "-pubin",
      "-in",
      `${dir}/public.pem`,
      "-noout",
      "-text",
    ]);
    assert.match(pub, /Public-Key: \(4096 bit\)/);
    // openssl encrypts to our public key, we decrypt; we encrypt, openssl decrypts.
    assert.equal(
      await decryptWithPem(pair.privatePem, await opensslEncrypt(`${dir}/public.pem`, SEED)),
      SEED,
    );
    const publicKey = await importRsaPublicKey(publicKeyPemToSpki(pair.publicPem));
    const ciphertext = await encryptOaep(publicKey, new TextEncoder().encode(SEED));
    assert.equal(ciphertext.length, 512);
    assert.equal(await opensslDecrypt(`${dir}/private.pem`, ciphertext), SEED);
    // The fingerprint is sha256 of the SPKI DER, as openssl computes it.
    const der = await run("openssl", [
      "pkey",
      "-pubin",
      "-in",
      `${dir}/public.pem`,
      "-outform",
      "DER",
    ]);
    const expected = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new Uint8Array(der.bytes)),
    )
      .toHex();
    assert.equal(await spkiFingerprint(pair.spki), expected);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keys under 2048 bits, encrypted keys and non-RSA keys are refused with clear messages", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const small = await opensslKeyPair(dir, {
      bits: 1024,
      privateName: "small.pem",
      publicName: "s.pub",
    });
    const pkcs8 = privateKeyPemToPkcs8(await Deno.readTextFile(small.privatePath));
    assert.equal(privateKeyBits(pkcs8), 1024);
    await assert.rejects(() => importRsaPrivateKey(pkcs8), {
      name: "RangeError",
      message: "The RSA key has 1024 bits; at least 2048 are required",
    });

    await runOk("openssl", [
      "genpkey",
      "-algorithm",
      "RSA",
      "-pkeyopt",
      "rsa_keygen_bits:2048",
      "-aes256",
      "-pass",
      "pass:secret",
      "-out",
      `${dir}/enc8.pem`,
    ]);
    await runOk("openssl", [
      "rsa",
      "-in",
      `${dir}/enc8.pem`,
      "-passin",
      "pass:secret",
      "-traditional",
      "-aes256",
      "-passout",
      "pass:secret",
      "-out",
      `${dir}/enc1.pem`,
    ]);
    const encryptedMessage =
      "The private key is encrypted with a passphrase; export it without one";
    for (const name of ["enc8.pem", "enc1.pem"]) {
      assert.throws(() => privateKeyPemToPkcs8(Deno.readTextFileSync(`${dir}/${name}`)), {
        name: "TypeError",
        message: encryptedMessage,
      });
    }

    await runOk("openssl", [
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      `${dir}/ec.pem`,
    ]);
    assert.throws(() => privateKeyPemToPkcs8(Deno.readTextFileSync(`${dir}/ec.pem`)), {
      message: "The private key is not an RSA key in PKCS#8 or PKCS#1 form",
    });
    assert.throws(() => privateKeyPemToPkcs8("not a pem"), { message: "No PEM block found" });
    assert.throws(
      () => privateKeyPemToPkcs8(small.publicPath && Deno.readTextFileSync(small.publicPath)),
      {
        message: 'Expected an RSA private key PEM, found "PUBLIC KEY"',
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an 8192-bit key: numbers read, import refused with the reason", async () => {
  const privatePath = new URL("../testing/fixtures/instructor_8192_private.pem", import.meta.url)
    .pathname;
  const publicPath = new URL("../testing/fixtures/instructor_8192_public.pem", import.meta.url)
    .pathname;
  const spki = publicKeyPemToSpki(await Deno.readTextFile(publicPath));
  const numbers = rsaPublicNumbers(spki);
  assert.equal(numbers.bits, 8192);
  assert.equal(numbers.e, 65537n);
  const modulus = await runOk("openssl", [
    "rsa",
    "-pubin",
    "-in",
    publicPath,
    "-noout",
    "-modulus",
  ]);
  assert.equal(numbers.n.toString(16), modulus.trim().replace("Modulus=", "").toLowerCase());
  const pkcs8 = privateKeyPemToPkcs8(await Deno.readTextFile(privatePath));
  await assert.rejects(() => importRsaPrivateKey(pkcs8), {
    message: "The RSA key has 8192 bits; Deno's WebCrypto imports at most 4096",
  });
});

Deno.test("a PKCS#1 public key (BEGIN RSA PUBLIC KEY) converts to the same SPKI", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { publicPath } = await opensslKeyPair(dir);
    const pkcs1 = await runOk("openssl", ["rsa", "-pubin", "-in", publicPath, "-RSAPublicKey_out"]);
    assert.match(pkcs1, /BEGIN RSA PUBLIC KEY/);
    assert.deepEqual(
      publicKeyPemToSpki(pkcs1),
      publicKeyPemToSpki(await Deno.readTextFile(publicPath)),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decodePem() and encodePem() round-trip, with CRLF and headers", () => {
  const der = crypto.getRandomValues(new Uint8Array(200));
  const pem = encodePem("PRIVATE KEY", der);
  assert.ok(pem.split("\n").slice(1, -2).every((line) => line.length <= 64));
  assert.deepEqual(decodePem(pem), { label: "PRIVATE KEY", headers: [], der });
  const crlf = "junk before\r\n" + pem.replaceAll("\n", "\r\n");
  assert.deepEqual(decodePem(crlf).der, der);
  const withHeaders = pem.replace(
    "-----\n",
    "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\n",
  );
  assert.deepEqual(decodePem(withHeaders).headers, [
    "Proc-Type: 4,ENCRYPTED",
    "DEK-Info: AES-256-CBC,00",
  ]);
  assert.throws(() => decodePem("-----BEGIN X-----\n!!!\n-----END X-----"), {
    message: 'The PEM block "X" is not valid base64',
  });
});

Deno.test("decryptOaep() fails with one generic message for every cause", async () => {
  const pair = await generateRsaKeyPair(2048);
  const other = await generateRsaKeyPair(2048);
  const key = await importRsaPrivateKey(privateKeyPemToPkcs8(pair.privatePem));
  const otherPublic = await importRsaPublicKey(other.spki);
  const forOther = await encryptOaep(otherPublic, new TextEncoder().encode(SEED));
  const cases = [new Uint8Array(0), new Uint8Array(256), new Uint8Array(10), forOther];
  for (const ciphertext of cases) {
    await assert.rejects(() => decryptOaep(key, ciphertext), {
      name: "TypeError",
      message: "RSA-OAEP decryption failed",
    });
  }
});
