/**
 * End to end: the real process, started as `deno task start` starts it, driven over
 * HTTP, restarted, and checked against openssl (oathtool: e2e/interop/oathtool_test.ts).
 */
import assert from "node:assert/strict";
import { opensslEncrypt, opensslKeyPair } from "../testing/openssl.ts";
import { run } from "../testing/command.ts";
import { hotp, importHmacKey } from "../crypto/hotp.ts";
import { generateTotp } from "../crypto/totp.ts";
import {
  DENO,
  freePort,
  isolatedEnv,
  PROJECT_ROOT,
  startServer,
  startTaskArgs,
} from "../testing/server_process.ts";
import { SeedStore } from "../store/seed_store.ts";
import { CODE_LOG_FILE, formatUtc, writeCodeLog } from "../cron/code_log.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";

/**
 * The reference code: our RFC 6238 code, checked against the RFC's vectors in
 * crypto/totp_test.ts (and against oathtool, with the real process, in the interop suite).
 */
async function referenceCode(seed: string, seconds: number): Promise<string> {
  const key = await importHmacKey(Uint8Array.fromHex(seed));
  return (await generateTotp((counter) => hotp(key, counter), { now: seconds * 1000 })).code;
}

/** The codes around now, for a check that a step boundary cannot break. */
async function codesAround(seed: string, before: number, after: number): Promise<string[]> {
  return [
    await referenceCode(seed, Math.floor(before / 1000)),
    await referenceCode(seed, Math.floor(after / 1000)),
  ];
}

async function json(response: Response): Promise<{ status: number; body: unknown }> {
  return { status: response.status, body: await response.json() };
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test("the real service: seed exchange, codes, restart with persistence, code log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-e2e-" });
  const env = {
    DATA_DIR: `${dir}/data`,
    CRON_DIR: `${dir}/cron`,
    KEYS_DIR: `${dir}/keys`,
    LOG_LEVEL: "info",
  };
  try {
    await Deno.mkdir(env.KEYS_DIR);
    // A PKCS#1 RSA-4096 key, as `openssl genrsa -traditional` leaves it.
    const { publicPath } = await opensslKeyPair(env.KEYS_DIR, { bits: 4096, format: "pkcs1" });
    const seed = crypto.getRandomValues(new Uint8Array(32)).toHex();

    let server = await startServer(env);
    try {
      assert.deepEqual(await json(await fetch(`${server.url}/generate-2fa`)), {
        status: 500,
        body: { error: "Seed not decrypted yet" },
      });
      const encrypted = await opensslEncrypt(publicPath, seed);
      assert.deepEqual(
        await json(await post(`${server.url}/decrypt-seed`, { encrypted_seed: encrypted })),
        {
          status: 200,
          body: { status: "ok" },
        },
      );
      assert.equal(await Deno.readTextFile(`${env.DATA_DIR}/seed.txt`), seed);

      const before = Date.now();
      const generated = await (await fetch(`${server.url}/generate-2fa`)).json();
      const after = Date.now();
      assert.ok((await codesAround(seed, before, after)).includes(generated.code));
      assert.ok(generated.valid_for >= 1 && generated.valid_for <= 30);
      assert.deepEqual(
        await json(await post(`${server.url}/verify-2fa`, { code: generated.code })),
        {
          status: 200,
          body: { valid: true },
        },
      );
      const wrong = String((Number(generated.code) + 500_000) % 1_000_000).padStart(6, "0");
      assert.deepEqual(await json(await post(`${server.url}/verify-2fa`, { code: wrong })), {
        status: 200,
        body: { valid: false },
      });
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
    assert.match(server.output(), /"msg":"Shutting down","signal":"SIGTERM"/);
    assert.match(
      server.output(),
      /"level":"warn","msg":"ADMIN_TOKEN is not set: anyone who can reach the service/,
    );
    assert.match(server.output(), /"msg":"audit","event":"seed.set"/);
    assert.match(server.output(), /"msg":"audit","event":"verify.ok"/);
    assert.ok(!server.output().includes(seed), "the seed never reaches the logs");

    // Restart: the same seed gives the same codes.
    server = await startServer(env);
    try {
      assert.match(server.output(), /"msg":"Loaded the stored seed"/);
      const before = Date.now();
      const { code } = await (await fetch(`${server.url}/generate-2fa`)).json();
      assert.ok((await codesAround(seed, before, Date.now())).includes(code));
    } finally {
      assert.equal(await server.stop(), 0);
    }

    // The cron job body, run once against the service's own files.
    const store = await SeedStore.open(env.DATA_DIR, { logger: createMemoryLogger() });
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    await writeCodeLog({
      seed: () => store.seed,
      cronDir: env.CRON_DIR,
      logger: createMemoryLogger(),
    }, now);
    assert.equal(
      await Deno.readTextFile(`${env.CRON_DIR}/${CODE_LOG_FILE}`),
      `${formatUtc(now)} - 2FA Code: ${await referenceCode(seed, now / 1000)}\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the real service refuses bad configuration and names every bad variable", async () => {
  const result = await run(DENO, [...await startTaskArgs()], {
    cwd: PROJECT_ROOT,
    env: isolatedEnv({ PORT: "http", LOG_LEVEL: "verbose", KEYS_DIR: "/nonexistent" }),
  });
  assert.equal(result.code, 1);
  const line = JSON.parse(result.stdout.trim());
  assert.equal(line.level, "error");
  assert.equal(
    line.msg,
    'Invalid configuration: PORT must be a whole number (got "http"); ' +
      'LOG_LEVEL must be one of debug, info, warn, error (got "verbose")',
  );
});

Deno.test("the real service refuses an unusable key with a message naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { privatePath } = await opensslKeyPair(dir, { bits: 1024 });
    const result = await run(DENO, [...await startTaskArgs()], {
      cwd: PROJECT_ROOT,
      env: isolatedEnv({ KEYS_DIR: dir, DATA_DIR: `${dir}/data`, PORT: String(freePort()) }),
    });
    assert.equal(result.code, 1);
    assert.equal(
      JSON.parse(result.stdout.trim()).msg,
      `Cannot use the private key "${privatePath}": The RSA key has 1024 bits; at least 2048 are required`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
