/**
 * Redis with a password, and over TLS (`rediss://`) with a private certificate authority, as
 * docs/operations.md tells operators to run it: the real service against a real redis-server.
 * The password reaches the service only inside `REDIS_URL`, and no line the service prints may
 * hold it, whether it is right or wrong.
 */
import assert from "node:assert/strict";
import { runOk } from "../../testing/command.ts";
import { opensslKeyPair } from "../../testing/openssl.ts";
import { type ServerProcess, startServer } from "../../testing/server_process.ts";
import { startRedisServer } from "../../testing/redis.ts";
import { withTempDir } from "../../testing/temp_dir.ts";

const ADMIN = "redis-auth-admin-token-0123456789";
const AUTH = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

/** A certificate authority and a server certificate for localhost, made with openssl. */
async function makeCertificates(dir: string): Promise<void> {
  await runOk("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=pki-2fa test CA",
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.crt`,
  ]);
  await runOk("openssl", [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-keyout",
    `${dir}/redis.key`,
    "-out",
    `${dir}/redis.csr`,
  ]);
  await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await runOk("openssl", [
    "x509",
    "-req",
    "-days",
    "1",
    "-in",
    `${dir}/redis.csr`,
    "-CA",
    `${dir}/ca.crt`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-extfile",
    `${dir}/san.ext`,
    "-out",
    `${dir}/redis.crt`,
  ]);
}

function serviceEnv(dir: string, redisUrl: string): Record<string, string> {
  return {
    KEYS_DIR: `${dir}/keys`,
    DATA_DIR: `${dir}/data`,
    CRON_DIR: `${dir}/cron`,
    STATE_STORE: "redis",
    REDIS_URL: redisUrl,
    ADMIN_TOKEN: ADMIN,
  };
}

async function enrol(server: ServerProcess, id: string): Promise<number> {
  const response = await fetch(`${server.url}/v1/subjects/${id}/enroll`, {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify({ issuer: "ACME", account_name: id }),
  });
  await response.body?.cancel();
  return response.status;
}

async function status(server: ServerProcess, path: string): Promise<number> {
  const response = await fetch(server.url + path, { headers: AUTH });
  await response.body?.cancel();
  return response.status;
}

/**
 * Starts the service against a Redis it cannot use, and returns what it printed: either it
 * refused to start with a line naming REDIS_URL, or it started and answered neither /ready nor
 * /v1 from that Redis.
 */
async function outputWithUnusableRedis(env: Record<string, string>): Promise<string> {
  let server: ServerProcess;
  try {
    server = await startServer(env);
  } catch (error) {
    assert.match(String(error), /Cannot open the redis state store \(REDIS_URL/);
    return String(error);
  }
  try {
    assert.equal(await status(server, "/ready"), 503);
    assert.equal(await enrol(server, "nobody"), 503);
  } finally {
    await server.stop();
  }
  return server.output();
}

Deno.test("REDIS_URL with a password: subjects live in that Redis, and the password is never printed", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/keys`);
    await opensslKeyPair(`${dir}/keys`);
    const password = crypto.randomUUID().replaceAll("-", "");
    const redis = await startRedisServer({ args: ["--requirepass", password] });
    try {
      const url = `redis://:${password}@127.0.0.1:${redis.port}/0`;
      const server = await startServer(serviceEnv(dir, url));
      try {
        assert.equal(await status(server, "/ready"), 200);
        assert.equal(await enrol(server, "alice"), 201);
        assert.equal(await status(server, "/v1/subjects/alice"), 200);
      } finally {
        await server.stop();
      }
      assert.ok(!server.output().includes(password), "the password is in the output");

      const wrong = crypto.randomUUID().replaceAll("-", "");
      const output = await outputWithUnusableRedis(
        serviceEnv(dir, `redis://:${wrong}@127.0.0.1:${redis.port}/0`),
      );
      assert.ok(!output.includes(wrong), "the wrong password is in the output");
      assert.ok(!output.includes(password));
    } finally {
      await redis.stop();
    }
  });
});

Deno.test("rediss:// with a private CA in DENO_CERT works, and without it the certificate is refused", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/keys`);
    await opensslKeyPair(`${dir}/keys`);
    await makeCertificates(dir);
    const password = crypto.randomUUID().replaceAll("-", "");
    const redis = await startRedisServer({
      args: [
        "--tls-cert-file",
        `${dir}/redis.crt`,
        "--tls-key-file",
        `${dir}/redis.key`,
        "--tls-ca-cert-file",
        `${dir}/ca.crt`,
        "--tls-auth-clients",
        "no",
        "--requirepass",
        password,
      ],
    });
    try {
      const url = `rediss://:${password}@localhost:${redis.port}/0`;
      const server = await startServer({ ...serviceEnv(dir, url), DENO_CERT: `${dir}/ca.crt` });
      try {
        assert.equal(await status(server, "/ready"), 200);
        assert.equal(await enrol(server, "bob"), 201);
        assert.equal(await status(server, "/v1/subjects/bob"), 200);
      } finally {
        await server.stop();
      }
      assert.ok(!server.output().includes(password), "the password is in the output");

      // The same URL without the CA: an unknown certificate is never accepted.
      const output = await outputWithUnusableRedis(serviceEnv(dir, url));
      assert.ok(!output.includes(password), "the password is in the output");
    } finally {
      await redis.stop();
    }
  });
});
