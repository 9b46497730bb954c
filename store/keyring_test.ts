import assert from "node:assert/strict";
import { loadPreviousKeys, previousKeyPath } from "./keyring.ts";
import { rotateServiceKey } from "./key_rotation.ts";
import { KEY_FILES, loadServiceKeys } from "./key_files.ts";
import { decryptOaep } from "../crypto/rsa_oaep.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { opensslEncrypt, opensslKeyPair } from "../testing/openssl.ts";
import { run } from "../testing/command.ts";
import { withTempDir } from "../testing/temp_dir.ts";

async function opensslKid(publicPath: string): Promise<string> {
  const der = await run("openssl", ["pkey", "-pubin", "-in", publicPath, "-outform", "DER"]);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(der.bytes))).toHex();
}

Deno.test("rotateServiceKey() moves the active key to previous/<kid>.pem (0600) and makes a new pair", async () => {
  await withTempDir(async (dir) => {
    const { publicPath } = await opensslKeyPair(dir);
    const oldKid = await opensslKid(publicPath);
    const oldPem = await Deno.readTextFile(`${dir}/${KEY_FILES.private}`);
    const oldCiphertext = await opensslEncrypt(publicPath, "old");
    const rotation = await rotateServiceKey(dir, { bits: 2048 });
    assert.equal(rotation.previousKid, oldKid);
    assert.equal(rotation.previousPath, previousKeyPath(dir, oldKid));
    assert.equal(rotation.previousPath, `${dir}/previous/${oldKid}.pem`);
    assert.equal(await Deno.readTextFile(rotation.previousPath), oldPem);
    assert.equal((await Deno.stat(rotation.previousPath)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/previous`)).mode! & 0o777, 0o700);
    assert.equal(rotation.activeKid, await opensslKid(publicPath));
    assert.notEqual(rotation.activeKid, oldKid);
    assert.equal((await Deno.stat(`${dir}/${KEY_FILES.private}`)).mode! & 0o777, 0o600);

    const logger = createMemoryLogger();
    const active = await loadServiceKeys(dir, { logger });
    assert.equal(active.fingerprint, rotation.activeKid);
    const previous = await loadPreviousKeys(dir, { logger, activeKid: active.fingerprint });
    assert.deepEqual(previous.map((k) => [k.kid, k.bits, k.path]), [[
      oldKid,
      2048,
      rotation.previousPath,
    ]]);
    const plaintext = await decryptOaep(
      previous[0]!.privateKey,
      Uint8Array.fromBase64(oldCiphertext),
    );
    assert.equal(new TextDecoder().decode(plaintext), "old");
  });
});

Deno.test("loadPreviousKeys(): none without the folder; newest first; copies of the active key and duplicates skipped", async () => {
  await withTempDir(async (dir) => {
    const logger = createMemoryLogger();
    assert.deepEqual(await loadPreviousKeys(dir, { logger, activeKid: "x" }), []);
    await opensslKeyPair(dir);
    const first = await rotateServiceKey(dir, { bits: 2048 });
    await Deno.utime(first.previousPath, 1_000, 1_000);
    const second = await rotateServiceKey(dir, { bits: 2048 });
    // A copy of an earlier key under another name, and a copy of the active key.
    await Deno.copyFile(first.previousPath, `${dir}/previous/copy.pem`);
    await Deno.utime(`${dir}/previous/copy.pem`, 1_000, 1_000);
    await Deno.copyFile(`${dir}/${KEY_FILES.private}`, `${dir}/previous/active.pem`);
    await Deno.writeTextFile(`${dir}/previous/notes.txt`, "not a key");
    const keys = await loadPreviousKeys(dir, { logger, activeKid: second.activeKid });
    assert.deepEqual(keys.map((k) => k.kid), [second.previousKid, first.previousKid]);
    assert.deepEqual(logger.lines.map((l) => JSON.parse(l).msg), [
      "An earlier key is the active key; it is used once, as the active key",
      "The same earlier key is in two files; one is used",
      "Loaded the earlier keys (decrypt-only)",
    ]);
    await Deno.remove(`${dir}/previous/copy.pem`);
    await Deno.rename(first.previousPath, `${dir}/previous/renamed.pem`);
    const renamed = createMemoryLogger();
    assert.equal(
      (await loadPreviousKeys(dir, { logger: renamed, activeKid: second.activeKid })).length,
      2,
    );
    assert.ok(renamed.lines.some((l) =>
      JSON.parse(l).msg ===
        `The earlier key's file is not named after its kid; rename it to ${first.previousKid}.pem`
    ));
  });
});

Deno.test("loadPreviousKeys() stops at an unusable file, naming it; warns about a readable one", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/previous`);
    await Deno.writeTextFile(
      `${dir}/previous/broken.pem`,
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    await assert.rejects(loadPreviousKeys(dir, { logger: createMemoryLogger(), activeKid: "x" }), {
      name: "KeyFileError",
      message: new RegExp(
        `^Cannot use the earlier key "${dir}/previous/broken.pem": .*; restore the right file`,
      ),
    });
    await Deno.remove(`${dir}/previous/broken.pem`);
    await opensslKeyPair(`${dir}/previous`, { privateName: "k.pem", publicName: "k.pub" });
    await Deno.chmod(`${dir}/previous/k.pem`, 0o644);
    const logger = createMemoryLogger();
    assert.equal((await loadPreviousKeys(dir, { logger, activeKid: "x" })).length, 1);
    assert.ok(
      logger.lines.some((l) =>
        JSON.parse(l).msg ===
          "An earlier private key is readable by group or others; run chmod 600 on it"
      ),
    );
  });
});
