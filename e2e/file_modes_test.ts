/**
 * Every file the real service writes is private (issue 12 item 4): the seed, `state.kv`
 * with its `-wal` and `-shm`, the lock, the code log (valid codes) and the audit file are
 * 0600 and their folders 0700. Before the fix `CRON_DIR` was 0755, `last_code.txt` and the
 * three `state.kv` files 0644. A second start over an older install's loose modes makes
 * them private again.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { opensslEncrypt, opensslKeyPair } from "../testing/openssl.ts";
import { startServer } from "../testing/server_process.ts";

const TOKEN = "e2e-admin-token-0123456789";

/** Every folder and file under `root` (keys excepted), relative, with its permission bits. */
async function modes(root: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (relative(root, path) === "keys") continue;
      found[relative(root, path)] = ((await Deno.lstat(path)).mode! & 0o777).toString(8);
      if (entry.isDirectory) await walk(path);
    }
  }
  await walk(root);
  return found;
}

async function call(url: string, method: string, body?: unknown): Promise<number> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.body?.cancel();
  return response.status;
}

Deno.test("file modes: every file the real service writes is 0600, every folder 0700", async () => {
  const root = await Deno.makeTempDir({ prefix: "pki2fa-modes-" });
  const env = {
    DATA_DIR: `${root}/data`,
    CRON_DIR: `${root}/cron`,
    KEYS_DIR: `${root}/keys`,
    AUDIT_LOG_FILE: `${root}/audit.jsonl`,
    ADMIN_TOKEN: TOKEN,
    LOG_LEVEL: "warn",
  };
  try {
    await Deno.mkdir(env.KEYS_DIR);
    const { publicPath } = await opensslKeyPair(env.KEYS_DIR);
    const seed = crypto.getRandomValues(new Uint8Array(32)).toHex();
    let server = await startServer(env);
    try {
      const encrypted = await opensslEncrypt(publicPath, seed);
      assert.equal(
        await call(`${server.url}/decrypt-seed`, "POST", { encrypted_seed: encrypted }),
        200,
      );
      assert.equal(
        await call(`${server.url}/v1/subjects/alice/enroll`, "POST", {
          issuer: "Acme",
          account_name: "alice@example.com",
        }),
        201,
      );
      assert.equal(await call(`${server.url}/verify-2fa`, "POST", { code: "000000" }), 200);
      // The code log is written at the next minute boundary.
      const deadline = Date.now() + 65_000;
      while (Date.now() < deadline) {
        if (await Deno.stat(`${env.CRON_DIR}/last_code.txt`).then(() => true, () => false)) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.deepEqual(await modes(root), {
        "audit.jsonl": "600",
        cron: "700",
        "cron/last_code.txt": "600",
        data: "700",
        "data/.lock": "600",
        "data/audit_log_id": "600",
        "data/audit_signing.pem": "600",
        "data/seed.txt": "600",
        "data/state.kv": "600",
        "data/state.kv-shm": "600",
        "data/state.kv-wal": "600",
      });
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }

    // An older install: everything readable by all. The next start makes it private,
    // the sealed form at rest included.
    for (const [path, mode] of Object.entries(await modes(root))) {
      await Deno.chmod(join(root, path), mode === "700" ? 0o755 : 0o644);
    }
    server = await startServer({ ...env, SEED_AT_REST: "sealed", LOG_LEVEL: "info" });
    try {
      assert.match(server.output(), /"msg":"Made files private"/);
      assert.deepEqual(await modes(root), {
        "audit.jsonl": "600",
        cron: "700",
        "cron/last_code.txt": "600",
        data: "700",
        "data/.lock": "600",
        "data/audit_log_id": "600",
        "data/audit_signing.pem": "600",
        "data/seed.enc": "600",
        "data/state.kv": "600",
        "data/state.kv-shm": "600",
        "data/state.kv-wal": "600",
      });
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
