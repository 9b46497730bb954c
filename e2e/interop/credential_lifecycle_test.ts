/**
 * Issue 15 against tools no one here wrote: a sealed export decrypted by `openssl pkeyutl`
 * gives a seed whose oathtool codes are the service's, and an otpauth URI imported through
 * an `openssl pkeyutl` ciphertext gives oathtool's SHA-256 / 8-digit / 60-second codes.
 */
import assert from "node:assert/strict";
import { createAppFixture } from "../../testing/app_fixture.ts";
import { oathtoolTotp } from "../../testing/oathtool.ts";
import { opensslDecrypt, opensslEncrypt, opensslKeyPair } from "../../testing/openssl.ts";
import { withTempDir } from "../../testing/temp_dir.ts";
import * as OTPAuth from "otpauth";
import { run } from "../../testing/command.ts";
import { exportUri } from "../../testing/google_auth_export.ts";
import { DENO, PROJECT_ROOT, startServer } from "../../testing/server_process.ts";

const ADMIN = "interop-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };

/** Writes the service's public key where openssl can read it. */
async function servicePublicKey(dir: string, publicPem: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/service.pem`, publicPem);
  return `${dir}/service.pem`;
}

Deno.test("export: openssl pkeyutl decrypts a seed whose oathtool codes equal the service's", async () => {
  await withTempDir(async (dir) => {
    await using t = await createAppFixture({
      now: Date.now(),
      security: { adminToken: ADMIN, exportEnabled: true },
    });
    const servicePem = await servicePublicKey(dir, t.keys.publicPem);
    const recipient = await opensslKeyPair(dir, { bits: 3072 });
    const cases = [
      { id: "sha1", algorithm: "SHA1", digits: 6, period: 30, bytes: 20 },
      { id: "sha512", algorithm: "SHA512", digits: 8, period: 45, bytes: 64 },
    ] as const;
    for (const { id, bytes, ...params } of cases) {
      const seed = crypto.getRandomValues(new Uint8Array(bytes)).toHex();
      const put = await t.call("PUT", `/v1/subjects/${id}/seed`, {
        encrypted_seed: await opensslEncrypt(servicePem, seed),
        ...params,
      }, AS_ADMIN);
      assert.equal(put.status, 201);
      const exported = await (await t.call("POST", `/v1/subjects/${id}/export`, {
        recipient_public_key: await Deno.readTextFile(recipient.publicPath),
      }, AS_ADMIN)).json();
      assert.deepEqual({ ...exported, encrypted_seed: null }, { encrypted_seed: null, ...params });
      const hex = await opensslDecrypt(
        recipient.privatePath,
        Uint8Array.fromBase64(exported.encrypted_seed),
      );
      assert.equal(hex, seed);
      for (const offset of [0, 45_000, 3_600_000]) {
        t.clock.now += offset;
        const { code } = await (await t.call("GET", `/v1/subjects/${id}/code`, undefined, AS_ADMIN))
          .json();
        assert.equal(
          code,
          await oathtoolTotp(hex, t.clock.now / 1000, {
            algorithm: exported.algorithm.toLowerCase(),
            digits: exported.digits,
            period: exported.period,
          }),
          `${id} at +${offset} ms`,
        );
      }
    }
  });
});

Deno.test("import: an otpauth URI with SHA256, 8 digits, 60 s gives oathtool --totp=sha256 -d 8 -s 60 codes", async () => {
  await withTempDir(async (dir) => {
    await using t = await createAppFixture({
      now: 1_764_000_015_000,
      security: { adminToken: ADMIN },
    });
    const servicePem = await servicePublicKey(dir, t.keys.publicPem);
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const base32 = new OTPAuth.Secret({ buffer: secret.slice().buffer }).base32;
    const uri =
      `otpauth://totp/Example:carol@example.com?secret=${base32}&issuer=Example&algorithm=SHA256&digits=8&period=60`;
    const put = await t.call("PUT", "/v1/subjects/carol/seed", {
      encrypted_seed: await opensslEncrypt(servicePem, uri),
    }, AS_ADMIN);
    assert.equal(put.status, 201);
    for (const seconds of [1_764_000_015, 1_764_000_075, 2_000_000_000, 59, 60]) {
      t.clock.now = seconds * 1000;
      const { code, valid_for } = await (await t.call(
        "GET",
        "/v1/subjects/carol/code",
        undefined,
        AS_ADMIN,
      )).json();
      assert.equal(
        code,
        await oathtoolTotp(secret.toHex(), seconds, { algorithm: "sha256", digits: 8, period: 60 }),
      );
      assert.equal(valid_for, 60 - seconds % 60);
    }
  });
});

Deno.test("deno task import-uris against the real service: a Google Authenticator export's codes equal oathtool's", async () => {
  await withTempDir(async (dir) => {
    const keysDir = `${dir}/keys`;
    await Deno.mkdir(keysDir);
    const { publicPath } = await opensslKeyPair(keysDir, { bits: 4096 });
    const server = await startServer({
      KEYS_DIR: keysDir,
      DATA_DIR: `${dir}/data`,
      CRON_DIR: `${dir}/cron`,
      ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: "error",
    });
    try {
      const accounts = [
        { name: "ACME:alice", issuer: "ACME", algorithm: 1, digits: 1, bytes: 20 },
        { name: "bob@example.com", algorithm: 2, digits: 2, bytes: 32 },
        { name: "Bank:carol", issuer: "Bank", algorithm: 3, digits: 2, bytes: 64 },
      ].map((a) => ({ ...a, type: 2, secret: crypto.getRandomValues(new Uint8Array(a.bytes)) }));
      await Deno.writeTextFile(`${dir}/export.txt`, exportUri(accounts) + "\n");
      const result = await run(DENO, [
        "task",
        "-q",
        "import-uris",
        `${dir}/export.txt`,
        "--url",
        server.url,
        "--public-key",
        publicPath,
      ], { cwd: PROJECT_ROOT, env: { ADMIN_TOKEN: ADMIN } });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(result.stdout.trim().split("\n").at(-1), "3 of 3 accounts imported");
      const ids = ["ACME_alice", "bob@example.com", "Bank_carol"];
      const hashes = ["sha1", "sha256", "sha512"] as const;
      for (const [i, account] of accounts.entries()) {
        const before = Date.now() / 1000;
        const answer = await fetch(`${server.url}/v1/subjects/${ids[i]}/code`, {
          headers: AS_ADMIN,
        });
        const { code } = await answer.json();
        const after = Date.now() / 1000;
        // A step may end during the request: oathtool's code at either end is right.
        const candidates = await Promise.all(
          [before, after].map((s) =>
            oathtoolTotp(account.secret.toHex(), s, {
              algorithm: hashes[i]!,
              digits: account.digits === 2 ? 8 : 6,
            })
          ),
        );
        assert.ok(candidates.includes(code), `${ids[i]}: ${code} not in ${candidates}`);
        for (
          const text of [
            account.secret.toHex(),
            new OTPAuth.Secret({ buffer: account.secret.slice().buffer }).base32,
          ]
        ) {
          assert.ok(!result.stdout.includes(text) && !result.stderr.includes(text));
        }
      }
    } finally {
      await server.stop();
    }
  });
});
