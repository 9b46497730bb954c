/**
 * Redis outages answer fast and heal (issue 13 item 5): two real replicas under steady load
 * while their redis-server is stopped and started again, then frozen (`SIGSTOP`, the socket
 * stays open and nothing answers) and resumed. Requests that need Redis answer 503 `State
 * store unavailable` within 2 s, the rest keep answering, and both replicas serve again
 * within 10 s of Redis returning, with no restart. The figures are printed for the record.
 */
import assert from "node:assert/strict";
import { startRedisServer } from "../../testing/redis.ts";
import { opensslEncrypt } from "../../testing/openssl.ts";
import { withTempDir } from "../../testing/temp_dir.ts";
import { report } from "../../testing/report.ts";
import { callReplica, REPLICA_ADMIN_TOKEN, startReplicaSet } from "../../testing/replica_set.ts";
import type { ServerProcess } from "../../testing/server_process.ts";

const SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const UNAVAILABLE = '{"error":"State store unavailable"}';
/** What each request asks; `store` kinds need Redis. */
const KINDS = {
  verify: { method: "POST", path: "/verify-2fa", body: '{"code":"000000"}', store: true },
  subject: { method: "GET", path: "/v1/subjects/alice", body: undefined, store: true },
  ready: { method: "GET", path: "/ready", body: undefined, store: true },
  health: { method: "GET", path: "/health", body: undefined, store: false },
  generate: { method: "GET", path: "/generate-2fa", body: undefined, store: false },
} as const;
type Kind = keyof typeof KINDS;

interface Sample {
  kind: Kind;
  replica: number;
  /** When the request was sent and how long it took, in ms (performance.now()). */
  at: number;
  ms: number;
  status: number;
  body: string;
}

/** Sends requests from `workers` loops, round robin over kinds and replicas, until stopped. */
function startLoad(replicas: ServerProcess[], workers: number) {
  const samples: Sample[] = [];
  let running = true;
  let turn = 0;
  const kinds = Object.keys(KINDS) as Kind[];
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const n = turn++;
      const kind = kinds[n % kinds.length]!;
      const replica = Math.floor(n / kinds.length) % replicas.length;
      const { method, path, body } = KINDS[kind];
      const at = performance.now();
      let status = 0;
      let text = "";
      try {
        const response = await fetch(replicas[replica]!.url + path, {
          method,
          headers: { authorization: `Bearer ${REPLICA_ADMIN_TOKEN}` },
          ...(body ? { body } : {}),
          signal: AbortSignal.timeout(5_000),
        });
        status = response.status;
        text = await response.text();
      } catch (error) {
        text = error instanceof Error ? error.name : "error";
      }
      samples.push({ kind, replica, at, ms: performance.now() - at, status, body: text });
    }
  });
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * How long a replica may take to heal once Redis is back. Measured heals take 0.03-0.5 s;
 * the windows watched after the restart and the thaw are longer than the bound by enough
 * for the five good answers that show a heal, even on a loaded machine (with 5 s windows
 * and a 10 s bound, a heal after 4 s had too few answers left and read as none).
 */
const HEAL_BOUND_MS = 6_000;
const HEAL_WINDOW_MS = 9_000;

/** The first instant after which every store request to `replica` succeeded, or null. */
function healedAt(samples: Sample[], replica: number, from: number, to: number): number | null {
  const relevant = samples.filter((s) =>
    s.replica === replica && KINDS[s.kind].store && s.at >= from && s.at + s.ms < to
  );
  const lastFailure = relevant.findLast((s) => s.status !== 200);
  const after = relevant.filter((s) => s.at > (lastFailure?.at ?? from));
  return after.length >= 5 ? after[0]!.at : null;
}

/** Checks one outage window and returns its figures. */
function checkOutage(samples: Sample[], from: number, to: number, label: string) {
  const during = samples.filter((s) => s.at >= from && s.at + s.ms <= to);
  assert.ok(during.length > 50, `${label}: only ${during.length} requests during the outage`);
  for (const s of during) {
    const where = `${label}: ${s.kind} on replica ${s.replica}`;
    if (s.kind === "ready") {
      assert.equal(s.status, 503, where);
      assert.equal(JSON.parse(s.body).checks.state_store, "error", where);
    } else if (KINDS[s.kind].store) {
      assert.deepEqual([s.status, s.body], [503, UNAVAILABLE], where);
    } else {
      assert.equal(s.status, 200, where);
    }
    assert.ok(s.ms < 2_000, `${where} took ${Math.round(s.ms)} ms`);
  }
  const store = during.filter((s) => KINDS[s.kind].store);
  return {
    requests: during.length,
    storeRequests503: store.length,
    slowest503Ms: Math.round(Math.max(...store.map((s) => s.ms))),
    slowestOtherMs: Math.round(
      Math.max(...during.filter((s) => !KINDS[s.kind].store).map((s) => s.ms)),
    ),
  };
}

Deno.test("a Redis stop, restart and freeze under load: fast 503s, liveness kept, both replicas heal without a restart", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/redis`);
    let redis = await startRedisServer({ dir: `${dir}/redis` });
    const set = await startReplicaSet({
      dir,
      redisUrl: redis.url,
      // The rate limiter stays on (it must not hang either); throttling off, so a wrong code
      // is always a store round trip answered {"valid":false}.
      env: { RATE_LIMIT_PER_MINUTE: "1000000", THROTTLE_MAX_FAILURES: "0" },
    });
    const [a, b] = set.replicas as [ServerProcess, ServerProcess];
    const load = startLoad(set.replicas, 8);
    try {
      const seeded = await callReplica(a, "POST", "/decrypt-seed", {
        encrypted_seed: await opensslEncrypt(set.publicKeyPath, SEED),
      });
      assert.equal(seeded.status, 200);
      const enrolled = await callReplica(b, "POST", "/v1/subjects/alice/enroll", {
        issuer: "ACME",
        account_name: "alice",
      });
      assert.equal(enrolled.status, 201);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const steadyFrom = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      // 1. Stopped: connections close, Redis is gone for 3 s.
      const stopAt = performance.now();
      await redis.stop();
      const stoppedAt = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const restartAt = performance.now();
      redis = await startRedisServer({ port: redis.port, dir: `${dir}/redis` });
      const upAt = performance.now();
      await new Promise((resolve) => setTimeout(resolve, HEAL_WINDOW_MS));

      // 2. Frozen: the sockets stay open and nothing answers, for 3 s.
      const freezeAt = performance.now();
      redis.signal("SIGSTOP");
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const thawAt = performance.now();
      redis.signal("SIGCONT");
      await new Promise((resolve) => setTimeout(resolve, HEAL_WINDOW_MS));
      await load.stop();
      const { samples } = load;

      // Before: every request answered 200.
      const steady = samples.filter((s) => s.at >= steadyFrom && s.at + s.ms < stopAt);
      assert.ok(steady.length > 20);
      for (const s of steady) assert.equal(s.status, 200, `${s.kind} before the outage`);
      // Never a request without an answer, in any phase.
      assert.deepEqual(samples.filter((s) => s.status === 0).map((s) => s.body), []);

      const stopped = checkOutage(samples, stoppedAt, restartAt, "stopped");
      const frozen = checkOutage(samples, freezeAt + 1_000, thawAt, "frozen");
      // The first requests into a freeze wait for the 1 s deadline, never more than 2 s.
      const intoFreeze = samples.filter((s) => s.at >= freezeAt && s.at < freezeAt + 1_000);
      for (const s of intoFreeze) {
        assert.ok(s.ms < 2_000, `${s.kind} at the start of the freeze took ${s.ms} ms`);
      }
      const firstFrozenMaxMs = Math.round(Math.max(...intoFreeze.map((s) => s.ms)));

      const figures = {
        stopped,
        frozen: { ...frozen, firstSecondSlowestMs: firstFrozenMaxMs },
        recovery: {} as Record<string, number>,
      };
      for (const [replica, name] of [[0, "a"], [1, "b"]] as const) {
        for (
          const [phase, from, to] of [
            ["restart", upAt, freezeAt],
            ["thaw", thawAt, Number.POSITIVE_INFINITY],
          ] as const
        ) {
          const healed = healedAt(samples, replica, from, to);
          assert.ok(healed !== null, `replica ${name} did not heal after the ${phase}`);
          const ms = Math.round(Math.max(0, healed - from));
          assert.ok(ms < HEAL_BOUND_MS, `replica ${name} took ${ms} ms to heal after the ${phase}`);
          figures.recovery[`${name} after ${phase}`] = ms;
        }
      }
      const gap = samples.filter((s) => s.at >= stopAt && s.at < upAt);
      const failed = (kinds: Sample[]) => kinds.filter((s) => s.status !== 200).length;
      report(JSON.stringify({
        stopToRestartMs: Math.round(restartAt - stopAt),
        requestsDuringGap: gap.length,
        failedNeedingRedis: failed(gap.filter((s) => KINDS[s.kind].store)),
        failedNotNeedingRedis: failed(gap.filter((s) => !KINDS[s.kind].store)),
        ...figures,
      }));
      // The data came back with Redis: the subject and the seed are still there.
      assert.equal((await callReplica(a, "GET", "/v1/subjects/alice")).status, 200);
      assert.equal(
        (await (await callReplica(b, "GET", "/ready")).json()).checks.state_store,
        "ok",
      );
    } finally {
      await load.stop();
      redis.signal("SIGCONT");
      await set.stop();
      await redis.stop();
    }
  });
});
