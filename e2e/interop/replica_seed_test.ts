/**
 * The assignment's seed across replicas (issue 13 item 4): two real processes on a real
 * redis-server behave as one service. A seed posted to A is served by B; one code is
 * accepted once across both; failures through both lock both; seeds rotated through
 * different replicas never reset each other's state; and with CRON_LEASE the shared code
 * log has exactly one oathtool-equal line per minute.
 */
import assert from "node:assert/strict";
import { redisUrl } from "../../testing/redis.ts";
import { opensslEncrypt } from "../../testing/openssl.ts";
import { oathtoolTotp } from "../../testing/oathtool.ts";
import { withTempDir } from "../../testing/temp_dir.ts";
import { report } from "../../testing/report.ts";
import { callReplica, startReplicaSet } from "../../testing/replica_set.ts";
import type { ServerProcess } from "../../testing/server_process.ts";

const SEED_X = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SEED_Y = "ab".repeat(32);
const SEED_Z = "5c".repeat(32);

async function code(replica: ServerProcess): Promise<string> {
  return (await (await callReplica(replica, "GET", "/generate-2fa")).json()).code;
}

async function verify(replica: ServerProcess, value: string): Promise<string> {
  return await (await callReplica(replica, "POST", "/verify-2fa", { code: value })).text();
}

/** Milliseconds until `check` holds, polling every 10 ms; fails after `limitMs`. */
async function until(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = performance.now();
  while (!await check()) {
    const elapsed = performance.now() - started;
    assert.ok(elapsed < limitMs, `not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Math.round(performance.now() - started);
}

Deno.test("two replicas, one assignment seed: served by both, once across both, locks both, one code log line a minute", async () => {
  await withTempDir(async (dir) => {
    const set = await startReplicaSet({
      dir,
      redisUrl: `${await redisUrl()}/8`,
      env: { CRON_LEASE: "true" },
    });
    const [a, b] = set.replicas as [ServerProcess, ServerProcess];
    const seedFile = (name: string) => Deno.readTextFile(`${dir}/${name}/seed.txt`);
    const post = async (replica: ServerProcess, hex: string) => {
      const response = await callReplica(replica, "POST", "/decrypt-seed", {
        encrypted_seed: await opensslEncrypt(set.publicKeyPath, hex),
      });
      assert.equal(await response.text(), '{"status":"ok"}');
    };
    try {
      // Neither has a seed: both answer the contract's 500.
      assert.equal(
        await (await callReplica(b, "GET", "/generate-2fa")).text(),
        '{"error":"Seed not decrypted yet"}',
      );

      // A seed posted to A is served by B: its code, its seed file, within a second.
      await post(a, SEED_X);
      const served = await until(async () => await code(b) === await code(a), 1000);
      await until(async () => await seedFile("b").catch(() => "") === SEED_X, 1000);
      report(`B served the seed posted to A after ${served} ms`);

      // One code is accepted once across both: 60 concurrent verifications, alternating.
      const current = await code(a);
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) => verify(i % 2 ? a : b, current)),
      );
      assert.equal(answers.filter((t) => t === '{"valid":true}').length, 1);
      assert.equal(answers.filter((t) => t === '{"valid":false}').length, 5);
      assert.equal(answers.filter((t) => t === '{"error":"Too many attempts"}').length, 54);

      // Rotations through different replicas never reset each other's state. Y through B,
      // X back through A: X's used code stays used and its lock stays, with no waiting for
      // the other replica to notice the change.
      await post(b, SEED_Y);
      assert.equal(await verify(a, await code(b)), '{"valid":true}');
      await post(a, SEED_X);
      // Locked still (or, on a slow run past the 30 s lock, a replay): never accepted again.
      assert.ok(
        ['{"error":"Too many attempts"}', '{"valid":false}'].includes(await verify(b, current)),
      );

      // Six wrong codes alternating A/B lock both: a fresh seed Z through B.
      await post(b, SEED_Z);
      await until(async () => await code(a) === await code(b), 1000);
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        statuses.push(
          (await callReplica(i % 2 ? b : a, "POST", "/verify-2fa", {
            code: "000000",
          })).status,
        );
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
      const right = await code(a);
      for (const replica of [a, b]) {
        const locked = await callReplica(replica, "POST", "/verify-2fa", { code: right });
        assert.equal(locked.status, 429);
        assert.ok(Number(locked.headers.get("retry-after")) > 0);
      }
      assert.equal(
        (await (await callReplica(b, "GET", "/v1/subjects/default")).json()).locked,
        true,
      );

      // The shared code log: over the next two whole minutes, one line each, oathtool's code.
      const from = Math.ceil(Date.now() / 60_000) * 60_000;
      await new Promise((resolve) => setTimeout(resolve, from + 60_000 + 5_000 - Date.now()));
      const lines = (await Deno.readTextFile(`${dir}/cron/last_code.txt`)).trimEnd().split("\n");
      const minutes = lines.map((line) => {
        const match = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) - 2FA Code: (\d{6})$/.exec(line);
        assert.ok(match, `not a code log line: ${line}`);
        return { at: Date.parse(`${match[1]!.replace(" ", "T")}Z`), code: match[2]! };
      });
      // Never two lines in one minute, whichever replica wrote them.
      const perMinute = minutes.map((m) => Math.floor(m.at / 60_000));
      assert.equal(new Set(perMinute).size, perMinute.length, lines.join("\n"));
      const recent = minutes.filter((m) => m.at >= from && m.at < from + 2 * 60_000);
      assert.deepEqual(
        recent.map((m) => Math.floor(m.at / 60_000)),
        [from / 60_000, from / 60_000 + 1],
      );
      for (const m of recent) assert.equal(m.code, await oathtoolTotp(SEED_Z, m.at / 1000));
    } finally {
      await set.stop();
    }
  });
});
