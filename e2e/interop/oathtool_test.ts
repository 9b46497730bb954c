/**
 * Our HOTP and TOTP codes against oathtool's, an implementation no one here wrote: the
 * pure functions, the code log, the routes and the real process. The hermetic suite has
 * the same cases with oathtool's answers written down; these ask oathtool itself.
 */
import assert from "node:assert/strict";
import { hotp, importHmacKey } from "../../crypto/hotp.ts";
import { type CodeAt, generateTotp } from "../../crypto/totp.ts";
import { CODE_LOG_FILE, formatUtc, writeCodeLog } from "../../cron/code_log.ts";
import { SeedStore } from "../../store/seed_store.ts";
import { createAppFixture } from "../../testing/app_fixture.ts";
import { createMemoryLogger } from "../../testing/memory_logger.ts";
import { oathtoolHotp, oathtoolTotp } from "../../testing/oathtool.ts";
import { opensslEncrypt, opensslKeyPair } from "../../testing/openssl.ts";
import { startServer } from "../../testing/server_process.ts";
import { withTempDir } from "../../testing/temp_dir.ts";

const SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const ADMIN = "v1-admin-token-0123456789";
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };

Deno.test("hotp() agrees with oathtool for counters beyond 2^32", async () => {
  const key = await importHmacKey(Uint8Array.fromHex(SEED));
  for (const counter of [0, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345]) {
    const expected = await oathtoolHotp(SEED, counter);
    assert.equal(await hotp(key, counter), expected, `counter ${counter}`);
    assert.equal(await hotp(key, BigInt(counter)), expected, `bigint counter ${counter}`);
  }
});

Deno.test("generateTotp() agrees with oathtool at several timestamps", async () => {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const key = await importHmacKey(seed);
  const codeAt: CodeAt = (counter) => hotp(key, counter);
  for (const seconds of [0, 29, 30, 1_700_000_000, 1_764_115_199, 4_102_444_800, 20_000_000_000]) {
    assert.equal(
      (await generateTotp(codeAt, { now: seconds * 1000 })).code,
      await oathtoolTotp(seed.toHex(), seconds),
      `${seconds}`,
    );
  }
});

Deno.test("writeCodeLog() writes oathtool's code for the instant of the run", async () => {
  await withTempDir(async (dir) => {
    const store = await SeedStore.open(`${dir}/data`, { logger: createMemoryLogger() });
    await store.replace(SEED);
    const now = 1_764_115_260_000;
    await writeCodeLog({ seed: () => store.seed, cronDir: dir, logger: createMemoryLogger() }, now);
    assert.equal(
      await Deno.readTextFile(`${dir}/${CODE_LOG_FILE}`),
      `${formatUtc(now)} - 2FA Code: ${await oathtoolTotp(SEED, now / 1000)}\n`,
    );
  });
});

Deno.test("GET /generate-2fa matches oathtool at the current time", async () => {
  const now = Date.now();
  await using t = await createAppFixture({ now });
  await t.call("POST", "/decrypt-seed", { encrypted_seed: await t.encrypt(SEED) });
  const body = await (await t.call("GET", "/generate-2fa")).json();
  assert.equal(body.code, await oathtoolTotp(SEED, now / 1000));
  assert.equal(body.valid_for, 30 - (Math.floor(now / 1000) % 30));
});

Deno.test("PUT /v1/subjects/{id}/seed: the subject's codes are oathtool's, for every algorithm", async () => {
  const now = 1_764_000_015_000;
  await using t = await createAppFixture({ now, security: { adminToken: ADMIN } });
  const seed = "3132333435363738393031323334353637383930";
  const cases = [
    { algorithm: "SHA1", digits: 6, period: 30 },
    { algorithm: "SHA256", digits: 8, period: 60 },
    { algorithm: "SHA512", digits: 8, period: 30 },
  ] as const;
  for (const params of cases) {
    const id = `bob-${params.algorithm}`;
    const put = await t.call("PUT", `/v1/subjects/${id}/seed`, {
      encrypted_seed: await t.encrypt(seed),
      ...params,
    }, AS_ADMIN);
    assert.equal(put.status, 201);
    const { code } = await (await t.call("GET", `/v1/subjects/${id}/code`, undefined, AS_ADMIN))
      .json();
    assert.equal(
      code,
      await oathtoolTotp(seed, now / 1000, {
        digits: params.digits,
        period: params.period,
        algorithm: params.algorithm.toLowerCase() as "sha1" | "sha256" | "sha512",
      }),
      params.algorithm,
    );
  }
});

Deno.test("the real service's codes and code log match oathtool, before and after a restart", async () => {
  await withTempDir(async (dir) => {
    const env = { DATA_DIR: `${dir}/data`, CRON_DIR: `${dir}/cron`, KEYS_DIR: `${dir}/keys` };
    await Deno.mkdir(env.KEYS_DIR);
    const { publicPath } = await opensslKeyPair(env.KEYS_DIR, { bits: 2048 });
    const seed = crypto.getRandomValues(new Uint8Array(32)).toHex();
    /** oathtool's codes at both ends of a call: a step boundary in between cannot break it. */
    const around = async (before: number, after: number) => [
      await oathtoolTotp(seed, before / 1000),
      await oathtoolTotp(seed, after / 1000),
    ];
    for (const round of ["first start", "restart"]) {
      const server = await startServer(env);
      try {
        if (round === "first start") {
          const posted = await fetch(`${server.url}/decrypt-seed`, {
            method: "POST",
            body: JSON.stringify({ encrypted_seed: await opensslEncrypt(publicPath, seed) }),
          });
          assert.equal(await posted.text(), '{"status":"ok"}');
        }
        const before = Date.now();
        const { code } = await (await fetch(`${server.url}/generate-2fa`)).json();
        assert.ok((await around(before, Date.now())).includes(code), round);
      } finally {
        assert.equal(await server.stop(), 0);
      }
    }
    const store = await SeedStore.open(env.DATA_DIR, { logger: createMemoryLogger() });
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    await writeCodeLog({
      seed: () => store.seed,
      cronDir: env.CRON_DIR,
      logger: createMemoryLogger(),
    }, now);
    assert.equal(
      await Deno.readTextFile(`${env.CRON_DIR}/${CODE_LOG_FILE}`),
      `${formatUtc(now)} - 2FA Code: ${await oathtoolTotp(seed, now / 1000)}\n`,
    );
  });
});
