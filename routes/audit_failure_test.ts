/**
 * An audit file that cannot be written (issue 12 item 8). Before the fix, with
 * `AUDIT_LOG_FILE=/dev/full`, `POST /decrypt-seed` stored the seed and then answered 500
 * "Internal server error" (the client retries a change that was made), and `/ready` said
 * ready. Now the committed change answers as usual, `/ready` fails naming `audit_log`, and
 * the service keeps serving; it is ready again once the file takes writes.
 */
import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { createAuditLog } from "../observability/audit.ts";
import { createMetrics } from "../observability/metrics.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { testServiceKeys } from "../testing/service_keys.ts";
import { SeedStore } from "../store/seed_store.ts";
import { KvStateStore } from "../store/kv_state_store.ts";
import { SubjectStore } from "../store/subject_store.ts";
import { encryptOaep } from "../crypto/rsa_oaep.ts";
import { withTempDir } from "../testing/temp_dir.ts";

Deno.test("a full audit file: the seed change answers 200, /ready fails on audit_log, and heals", async () => {
  await withTempDir(async (dir) => {
    const keys = await testServiceKeys();
    const logger = createMemoryLogger();
    const lines: string[] = [];
    let full = true;
    const audit = createAuditLog({
      write: (line) => lines.push(line),
      file: `${dir}/audit.jsonl`,
      open: () => ({
        writeSync(bytes) {
          if (full) throw new Error("No space left on device (os error 28)");
          return bytes.length;
        },
        statSync: () => ({ size: 0 }),
        truncateSync() {},
        close() {},
      }),
    });
    const seedStore = await SeedStore.open(`${dir}/data`, { logger });
    const stateStore = await KvStateStore.open(":memory:");
    try {
      const app = createApp({
        privateKey: keys.privateKey,
        // PSKC files are not part of this test; any private key fills the slot.
        privateKeyOaepSha1: keys.privateKey,
        decryptionKeys: [keys.privateKey],
        publishedKeys: [],
        serviceKeyFingerprint: keys.fingerprint,
        seedStore,
        stateStore,
        subjects: await SubjectStore.open(stateStore, keys, { logger }),
        logger,
        audit,
        metrics: createMetrics({ seedLoaded: () => seedStore.seed !== null }),
        paths: { dataDir: `${dir}/data`, cronDir: `${dir}/cron` },
        security: { rateLimitPerMinute: 0 },
      });
      const seed = "ab".repeat(32);
      const encrypted = (await encryptOaep(keys.publicKey, new TextEncoder().encode(seed)))
        .toBase64();
      const response = await app.request("/decrypt-seed", {
        method: "POST",
        body: JSON.stringify({ encrypted_seed: encrypted }),
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: "ok" });
      assert.equal(await Deno.readTextFile(`${dir}/data/seed.txt`), seed);
      assert.ok(lines.some((l) => JSON.parse(l).event === "seed.set"), "the event reached stdout");

      const ready = await app.request("/ready");
      assert.equal(ready.status, 503);
      const body = await ready.json();
      assert.equal(body.status, "not ready");
      assert.equal(body.checks.audit_log, "error");
      // Still serving.
      const code = await app.request("/generate-2fa");
      assert.equal(code.status, 200);

      full = false;
      await (await app.request("/verify-2fa", {
        method: "POST",
        body: JSON.stringify({ code: "000000" }),
      })).body?.cancel();
      assert.equal((await app.request("/ready")).status, 200);
    } finally {
      stateStore.close();
    }
  });
});
