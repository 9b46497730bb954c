/**
 * The keyring at the routes: after a rotation a seed encrypted to the earlier key or to the
 * active one is accepted by POST /decrypt-seed and PUT /v1/subjects/{id}/seed; every failure
 * (a retired or unknown key, a cut or garbled ciphertext) gets the one answer, 500
 * "Decryption failed", so nothing tells which key was tried. Ciphertexts come from
 * `openssl pkeyutl`; signatures from `openssl dgst`, over a message naming the earlier key.
 */
import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import {
  opensslDgstSignPss,
  opensslEncrypt,
  opensslKeyPair,
  opensslSpkiSha256,
} from "../testing/openssl.ts";
import { generateRsaKeyPair, publicKeyPemToSpki } from "../crypto/rsa_keys.ts";
import { generateTotp } from "../crypto/totp.ts";
import { hotp, importHmacKey } from "../crypto/hotp.ts";
import { withTempDir } from "../testing/temp_dir.ts";

const NOW = 1_764_000_015_000;
const ADMIN = "keyring-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };
const FAILED = { status: 500, body: { error: "Decryption failed" } };
const OK = { status: 200, body: { status: "ok" } };

const [earlier, active, stranger] = await Promise.all([
  generateRsaKeyPair(2048),
  generateRsaKeyPair(2048),
  generateRsaKeyPair(2048),
]);

async function codeFor(seedHex: string, now: number): Promise<string> {
  const key = await importHmacKey(Uint8Array.fromHex(seedHex));
  return (await generateTotp((counter) => hotp(key, counter), { now })).code;
}

Deno.test("after a rotation, seeds for the earlier and the active key both decrypt; GET /v1/keys lists both", async () => {
  await withTempDir(async (dir) => {
    await using t = await createAppFixture({
      now: NOW,
      keys: active,
      previousKeys: [earlier],
      security: { adminToken: ADMIN },
    });
    await Deno.writeTextFile(`${dir}/earlier.pub`, earlier.publicPem);
    await Deno.writeTextFile(`${dir}/active.pub`, active.publicPem);
    const seedA = "a1".repeat(32);
    const seedB = "b2".repeat(32);
    const post = (encrypted_seed: string) =>
      t.call("POST", "/decrypt-seed", { encrypted_seed }, AS_ADMIN);
    assert.deepEqual(
      await statusAndBody(await post(await opensslEncrypt(`${dir}/earlier.pub`, seedA))),
      OK,
    );
    assert.equal(await t.seedFile(), seedA);
    assert.deepEqual(
      await statusAndBody(await post(await opensslEncrypt(`${dir}/active.pub`, seedB))),
      OK,
    );
    assert.equal(await t.seedFile(), seedB);

    const put = await t.call("PUT", "/v1/subjects/alice/seed", {
      encrypted_seed: await opensslEncrypt(`${dir}/earlier.pub`, seedA),
    }, AS_ADMIN);
    assert.equal(put.status, 201, await put.text());
    const verify = await t.call("POST", "/v1/subjects/alice/verify", {
      code: await codeFor(seedA, NOW),
    }, AS_ADMIN);
    assert.deepEqual(await statusAndBody(verify), { status: 200, body: { valid: true } });

    const keys = (await (await t.call("GET", "/v1/keys")).json()).keys;
    assert.deepEqual(keys.map((k: { kid: string; status: string }) => [k.kid, k.status]), [
      [await opensslSpkiSha256(`${dir}/active.pub`), "active"],
      [await opensslSpkiSha256(`${dir}/earlier.pub`), "decrypt-only"],
    ]);
    assert.equal(keys[1].public_key, earlier.publicPem);
  });
});

Deno.test("every decryption failure is the same 500 on both routes, and changes nothing", async () => {
  await withTempDir(async (dir) => {
    await using t = await createAppFixture({
      keys: active,
      previousKeys: [earlier],
      security: { adminToken: ADMIN },
    });
    await Deno.writeTextFile(`${dir}/stranger.pub`, stranger.publicPem);
    await Deno.writeTextFile(`${dir}/earlier.pub`, earlier.publicPem);
    const forStranger = await opensslEncrypt(`${dir}/stranger.pub`, "c3".repeat(32));
    const notHexForEarlier = await opensslEncrypt(
      `${dir}/earlier.pub`,
      "not a seed at all, but text",
    );
    const cut = forStranger.slice(0, 200);
    const bad = [forStranger, notHexForEarlier, cut, "@@@not base64@@@", "AAAA"];
    for (const encrypted_seed of bad) {
      assert.deepEqual(
        await statusAndBody(await t.call("POST", "/decrypt-seed", { encrypted_seed }, AS_ADMIN)),
        FAILED,
        encrypted_seed.slice(0, 20),
      );
    }
    for (const encrypted_seed of [forStranger, cut, "AAAA"]) {
      assert.deepEqual(
        await statusAndBody(
          await t.call("PUT", "/v1/subjects/bob/seed", { encrypted_seed }, AS_ADMIN),
        ),
        FAILED,
      );
    }
    assert.equal(await t.seedFile(), null);
    assert.equal((await t.call("GET", "/v1/subjects/bob", undefined, AS_ADMIN)).status, 404);
    assert.deepEqual(
      [...new Set(t.audit.events.map((e) => `${e.event} ${e.reason}`))],
      ["seed.rejected decryption"],
    );
  });
});

Deno.test("a signed seed for the earlier key names that key in its message and is accepted", async () => {
  await withTempDir(async (dir) => {
    const issuer = await opensslKeyPair(dir, {
      privateName: "issuer.pem",
      publicName: "issuer.pub",
    });
    await using t = await createAppFixture({
      now: NOW,
      keys: active,
      previousKeys: [earlier],
      security: {
        adminToken: ADMIN,
        requireSeedSignature: true,
        issuerSpki: publicKeyPemToSpki(await Deno.readTextFile(issuer.publicPath)),
      },
    });
    await Deno.writeTextFile(`${dir}/earlier.pub`, earlier.publicPem);
    const earlierKid = await opensslSpkiSha256(`${dir}/earlier.pub`);
    const encrypted_seed = await opensslEncrypt(`${dir}/earlier.pub`, "d4".repeat(32));
    const issued_at = new Date(NOW - 1000).toISOString();
    const sign = (kid: string) =>
      opensslDgstSignPss(
        issuer.privatePath,
        `pki-2fa-seed-v1\ndefault\n${kid}\n${issued_at}\n${encrypted_seed}`,
      );
    const strangerKid = "0".repeat(64);
    assert.deepEqual(
      await statusAndBody(
        await t.call("POST", "/decrypt-seed", {
          encrypted_seed,
          issued_at,
          signature: await sign(strangerKid),
        }, AS_ADMIN),
      ),
      { status: 401, body: { error: "Invalid seed signature" } },
    );
    assert.deepEqual(
      await statusAndBody(
        await t.call("POST", "/decrypt-seed", {
          encrypted_seed,
          issued_at,
          signature: await sign(earlierKid),
        }, AS_ADMIN),
      ),
      OK,
    );
    assert.equal(await t.seedFile(), "d4".repeat(32));
  });
});
