import { withTempDir } from "../testing/temp_dir.ts";
import assert from "node:assert/strict";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { opensslEncrypt, opensslKeyPair } from "../testing/openssl.ts";
import { runOk } from "../testing/command.ts";
import { decryptOaep } from "../crypto/rsa_oaep.ts";
import { KEY_FILES, KeyFileError, loadServiceKeys } from "./key_files.ts";

const SEED = "ab".repeat(32);

function messages(lines: string[]): string[] {
  return lines.map((line) => JSON.parse(line).msg);
}

Deno.test("loadServiceKeys() generates a 4096-bit pair on first start and reuses it after", async () => {
  await withTempDir(async (dir) => {
    const keysDir = `${dir}/keys`;
    const logger = createMemoryLogger();
    const first = await loadServiceKeys(keysDir, { logger });
    assert.equal(first.generated, true);
    assert.equal(first.bits, 4096);
    const privatePath = `${keysDir}/${KEY_FILES.private}`;
    assert.equal((await Deno.stat(privatePath)).mode! & 0o777, 0o600);
    assert.match(await Deno.readTextFile(privatePath), /^-----BEGIN PRIVATE KEY-----\n/);
    const publicPem = await Deno.readTextFile(`${keysDir}/${KEY_FILES.public}`);
    assert.equal(publicPem, first.publicPem);
    const text = await runOk("openssl", [
      "rsa",
      "-pubin",
      "-in",
      `${keysDir}/${KEY_FILES.public}`,
      "-noout",
      "-text",
    ]);
    assert.match(text, /Public-Key: \(4096 bit\)/);
    const logged = JSON.parse(logger.lines.at(-1)!);
    assert.equal(logged.msg, "Generated a new RSA key pair");
    assert.equal(logged.fingerprintSha256, first.fingerprint);
    assert.doesNotMatch(logger.lines.join("\n"), /BEGIN|MII/);

    const before = await Deno.readTextFile(privatePath);
    const second = await loadServiceKeys(keysDir, { logger: createMemoryLogger() });
    assert.equal(second.generated, false);
    assert.equal(second.fingerprint, first.fingerprint);
    assert.equal(await Deno.readTextFile(privatePath), before);
  });
});

Deno.test("loadServiceKeys() uses an openssl PKCS#1 key, warns on loose mode and on a foreign public key", async () => {
  await withTempDir(async (dir) => {
    const { privatePath, publicPath } = await opensslKeyPair(dir, { format: "pkcs1" });
    await Deno.chmod(privatePath, 0o644);
    const logger = createMemoryLogger();
    const keys = await loadServiceKeys(dir, { logger });
    assert.equal(keys.generated, false);
    assert.equal(keys.bits, 2048);
    const ciphertext = Uint8Array.fromBase64(await opensslEncrypt(publicPath, SEED));
    assert.equal(new TextDecoder().decode(await decryptOaep(keys.privateKey, ciphertext)), SEED);
    assert.deepEqual(messages(logger.lines), [
      "The private key is readable by group or others; run chmod 600 on it",
      "Loaded the RSA private key",
    ]);

    const other = await Deno.makeTempDir();
    await opensslKeyPair(other);
    await Deno.copyFile(`${other}/${KEY_FILES.public}`, publicPath);
    await Deno.remove(other, { recursive: true });
    const warned = createMemoryLogger();
    await loadServiceKeys(dir, { logger: warned });
    assert.ok(
      messages(warned.lines).includes(
        "The public key file does not belong to the private key; seeds encrypted to it cannot be decrypted",
      ),
    );
  });
});

Deno.test("loadServiceKeys() writes a missing public key from the private key", async () => {
  await withTempDir(async (dir) => {
    const { publicPath } = await opensslKeyPair(dir);
    const expected = await Deno.readTextFile(publicPath);
    await Deno.remove(publicPath);
    await loadServiceKeys(dir, { logger: createMemoryLogger() });
    assert.equal(await Deno.readTextFile(publicPath), expected);
  });
});

Deno.test("loadServiceKeys() refuses a small or encrypted key, naming the file", async () => {
  await withTempDir(async (dir) => {
    const { privatePath } = await opensslKeyPair(dir, { bits: 1024 });
    await assert.rejects(() => loadServiceKeys(dir, { logger: createMemoryLogger() }), {
      name: "KeyFileError",
      message:
        `Cannot use the private key "${privatePath}": The RSA key has 1024 bits; at least 2048 are required`,
    });
    await runOk("openssl", [
      "genrsa",
      "-traditional",
      "-aes256",
      "-passout",
      "pass:x",
      "-out",
      privatePath,
      "2048",
    ]);
    await assert.rejects(() => loadServiceKeys(dir, { logger: createMemoryLogger() }), {
      message:
        `Cannot use the private key "${privatePath}": The private key is encrypted with a passphrase; export it without one`,
    });
  });
});

Deno.test("loadServiceKeys() tells the user what to run when it cannot create a key", async () => {
  await withTempDir(async (dir) => {
    // A dangling link in the key's place reads as missing and cannot be created, even by root.
    await Deno.mkdir(`${dir}/keys`);
    await Deno.symlink(`${dir}/nowhere/key.pem`, `${dir}/keys/${KEY_FILES.private}`);
    const error = await loadServiceKeys(`${dir}/keys`, {
      logger: createMemoryLogger(),
      generateBits: 2048,
    })
      .then(() => null, (e) => e);
    assert.ok(error instanceof KeyFileError);
    assert.match(
      error.message,
      /^There is no private key at ".*keys\/student_private\.pem" and one cannot be created there/,
    );
    assert.match(error.message, /deno task keygen --dir .*keys/);
  });
});
