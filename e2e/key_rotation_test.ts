/**
 * Key rotation through the real process on Deno KV: seeds and /v1 subjects made under key A
 * keep working after `deno task rotate-key` and a restart (the data key and the sealed seed
 * are rewrapped to key B, audited once); seeds encrypted to A and to B both decrypt; retiring
 * A is refused until the restart has moved everything, and afterwards A's ciphertexts get
 * the one 500 "Decryption failed". GET /v1/keys lists the kids openssl computes. Also: a key
 * replaced by hand locks /v1 until the old key is put back as an earlier key.
 */
import assert from "node:assert/strict";
import { opensslEncrypt, opensslKeyPair, opensslSpkiSha256 } from "../testing/openssl.ts";
import { run } from "../testing/command.ts";
import {
  DENO,
  isolatedEnv,
  PROJECT_ROOT,
  type ServerProcess,
  startServer,
} from "../testing/server_process.ts";
import { hotp, importHmacKey } from "../crypto/hotp.ts";
import { generateTotp } from "../crypto/totp.ts";

const TOKEN = "e2e-rotation-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const SEEDS = { first: "11".repeat(32), second: "22".repeat(32), third: "33".repeat(32) };
const ALICE = "a1".repeat(20);
const BOB = "b0".repeat(20);

async function code(seedHex: string, offsetSteps = 0): Promise<string> {
  const key = await importHmacKey(Uint8Array.fromHex(seedHex));
  return (await generateTotp((c) => hotp(key, c), { now: Date.now() + offsetSteps * 30_000 })).code;
}

async function call(server: ServerProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(server.url + path, {
    method,
    headers: AUTH,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : JSON.parse(text) };
}

function rotateKey(env: Record<string, string>, args: string[]) {
  return run(DENO, ["task", "-q", "rotate-key", ...args, "--dir", env.KEYS_DIR!], {
    cwd: PROJECT_ROOT,
    // Empty variables win over a developer's .env, as for the service (isolatedEnv).
    env: isolatedEnv({ DATA_DIR: env.DATA_DIR! }),
  });
}

async function auditEvents(file: string, event: string) {
  const lines = (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l));
  return lines.filter((l) => l.event === event).map(({ kid, previousKid }) => ({
    kid,
    previousKid,
  }));
}

Deno.test("rotation end to end on KV: everything keeps working, old and new ciphertexts decrypt, retire after the rewrap", async () => {
  const root = await Deno.makeTempDir({ prefix: "pki2fa-rotate-" });
  const env = {
    DATA_DIR: `${root}/data`,
    CRON_DIR: `${root}/cron`,
    KEYS_DIR: `${root}/keys`,
    AUDIT_LOG_FILE: `${root}/audit.jsonl`,
    ADMIN_TOKEN: TOKEN,
    SEED_AT_REST: "sealed",
    RATE_LIMIT_PER_MINUTE: "0",
  };
  try {
    await Deno.mkdir(env.KEYS_DIR);
    const { publicPath } = await opensslKeyPair(env.KEYS_DIR);
    await Deno.copyFile(publicPath, `${root}/a.pub`);
    const kidA = await opensslSpkiSha256(`${root}/a.pub`);

    let server = await startServer(env);
    try {
      const seed = await opensslEncrypt(`${root}/a.pub`, SEEDS.first);
      assert.deepEqual(await call(server, "POST", "/decrypt-seed", { encrypted_seed: seed }), {
        status: 200,
        body: { status: "ok" },
      });
      for (const [id, secret] of [["alice", ALICE], ["bob", BOB]]) {
        const put = await call(server, "PUT", `/v1/subjects/${id}/seed`, {
          encrypted_seed: await opensslEncrypt(`${root}/a.pub`, secret!),
        });
        assert.equal(put.status, 201, JSON.stringify(put.body));
      }
    } finally {
      assert.equal(await server.stop(), 0);
    }

    const rotated = await rotateKey(env, ["--bits", "2048"]);
    assert.equal(rotated.code, 0, rotated.stderr);
    await Deno.copyFile(publicPath, `${root}/b.pub`);
    const kidB = await opensslSpkiSha256(`${root}/b.pub`);
    assert.equal(
      rotated.stdout.split("\n")[0],
      `Previous key: ${kidA} (now ${env.KEYS_DIR}/previous/${kidA}.pem, decrypt-only)`,
    );
    assert.equal(rotated.stdout.split("\n")[1], `Active key:   ${kidB}`);

    // Before the restart the data key and the sealed seed are still wrapped to A.
    const early = await rotateKey(env, ["--retire", kidA]);
    assert.equal(early.code, 1);
    assert.match(
      early.stderr,
      /^rotate-key: Refusing to retire [0-9a-f]{64}: the \/v1 data key .* the sealed seed /,
    );

    server = await startServer(env);
    try {
      const keys = (await call(server, "GET", "/v1/keys")).body.keys;
      assert.deepEqual(
        keys.map((k: { kid: string; use: string; status: string }) => [k.kid, k.use, k.status])
          .slice(0, 2),
        [
          [kidB, "seed-encryption", "active"],
          [kidA, "seed-encryption", "decrypt-only"],
        ],
      );
      assert.equal(keys[1].public_key, await Deno.readTextFile(`${root}/a.pub`));
      assert.equal(keys[2].use, "audit");
      assert.equal((await call(server, "GET", "/ready")).status, 200);
      // Subjects enrolled under A verify; the seed sealed under A is in force.
      assert.deepEqual(
        await call(server, "POST", "/v1/subjects/alice/verify", { code: await code(ALICE) }),
        { status: 200, body: { valid: true } },
      );
      assert.equal((await call(server, "GET", "/generate-2fa")).body.code, await code(SEEDS.first));
      // Ciphertexts for A and for B are both accepted.
      for (const [pub, secret] of [["a.pub", SEEDS.second], ["b.pub", SEEDS.third]]) {
        const posted = await call(server, "POST", "/decrypt-seed", {
          encrypted_seed: await opensslEncrypt(`${root}/${pub}`, secret!),
        });
        assert.deepEqual(posted, { status: 200, body: { status: "ok" } }, pub);
        assert.equal((await call(server, "GET", "/generate-2fa")).body.code, await code(secret!));
      }
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.deepEqual(await auditEvents(env.AUDIT_LOG_FILE, "key.rotated"), [{
      kid: kidB,
      previousKid: kidA,
    }]);
    assert.deepEqual(await auditEvents(env.AUDIT_LOG_FILE, "datakey.rewrapped"), [{
      kid: kidB,
      previousKid: kidA,
    }]);

    const retired = await rotateKey(env, ["--retire", kidA]);
    assert.equal(retired.code, 0, retired.stderr);
    assert.equal(
      retired.stdout.split("\n")[0],
      `Retired ${kidA} (deleted ${env.KEYS_DIR}/previous/${kidA}.pem); ciphertexts for it no longer decrypt`,
    );

    server = await startServer(env);
    try {
      assert.deepEqual(
        await call(server, "POST", "/decrypt-seed", {
          encrypted_seed: await opensslEncrypt(`${root}/a.pub`, SEEDS.first),
        }),
        { status: 500, body: { error: "Decryption failed" } },
      );
      assert.deepEqual(
        await call(server, "PUT", "/v1/subjects/carol/seed", {
          encrypted_seed: await opensslEncrypt(`${root}/a.pub`, ALICE),
        }),
        { status: 500, body: { error: "Decryption failed" } },
      );
      // The seed stays the one posted last (sealed again to B), and the subjects verify.
      assert.equal((await call(server, "GET", "/generate-2fa")).body.code, await code(SEEDS.third));
      assert.deepEqual(
        await call(server, "POST", "/v1/subjects/bob/verify", { code: await code(BOB) }),
        { status: 200, body: { valid: true } },
      );
      assert.deepEqual(
        (await call(server, "GET", "/v1/keys")).body.keys.map((k: { kid: string }) => k.kid).slice(
          0,
          1,
        ),
        [kidB],
      );
      assert.equal((await call(server, "GET", "/v1/keys")).body.keys.length, 2);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.deepEqual(await auditEvents(env.AUDIT_LOG_FILE, "key.retired"), [{
      kid: kidA,
      previousKid: undefined,
    }]);
    assert.equal((await auditEvents(env.AUDIT_LOG_FILE, "datakey.rewrapped")).length, 1);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a key replaced by hand locks /v1; the old key put back in previous/ unlocks it", async () => {
  const root = await Deno.makeTempDir({ prefix: "pki2fa-restore-" });
  const env = {
    DATA_DIR: `${root}/data`,
    CRON_DIR: `${root}/cron`,
    KEYS_DIR: `${root}/keys`,
    ADMIN_TOKEN: TOKEN,
    RATE_LIMIT_PER_MINUTE: "0",
  };
  try {
    await Deno.mkdir(env.KEYS_DIR);
    const { privatePath, publicPath } = await opensslKeyPair(env.KEYS_DIR);
    const kidA = await opensslSpkiSha256(publicPath);
    let server = await startServer(env);
    try {
      const put = await call(server, "PUT", "/v1/subjects/alice/seed", {
        encrypted_seed: await opensslEncrypt(publicPath, ALICE),
      });
      assert.equal(put.status, 201);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    await Deno.rename(privatePath, `${root}/a.pem`);
    await Deno.remove(publicPath);
    await opensslKeyPair(env.KEYS_DIR);

    server = await startServer(env);
    try {
      assert.deepEqual(await call(server, "GET", "/v1/subjects/alice"), {
        status: 503,
        body: { error: "Subject store locked: data key does not match the service key" },
      });
    } finally {
      assert.equal(await server.stop(), 0);
    }

    await Deno.mkdir(`${env.KEYS_DIR}/previous`);
    await Deno.rename(`${root}/a.pem`, `${env.KEYS_DIR}/previous/${kidA}.pem`);
    server = await startServer({ ...env, LOG_LEVEL: "info" });
    try {
      assert.equal((await call(server, "GET", "/ready")).status, 200);
      assert.deepEqual(
        await call(server, "POST", "/v1/subjects/alice/verify", { code: await code(ALICE) }),
        { status: 200, body: { valid: true } },
      );
      assert.match(
        server.output(),
        /"msg":"Rewrapped the \/v1 data key to the active key","from":"[0-9a-f]{64}"/,
      );
    } finally {
      assert.equal(await server.stop(), 0);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
