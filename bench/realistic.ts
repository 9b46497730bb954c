/**
 * The realistic workload (issue 14 item 1): 10,000 subjects enrolled on `/v1`, replay
 * protection and throttling as the service ships them, on Deno KV and on Redis. Two
 * measured phases per store, over one service process:
 *
 * 1. **first use**: every subject's code for the previous step (still inside the ±1 step
 *    window) once, in random order, split between wrk's threads: every answer should be
 *    `{"valid":true}`. This is the write path of a login at full speed (and it loads every
 *    subject into the process, as logins after a start do).
 * 2. **mix**: for BENCH_SECONDS, random subjects (with replacement) with their code for the
 *    current wall-clock step: a subject's first request in a step is accepted, later ones
 *    are replays (`{"valid":false}`), and five failures lock it (429), as they would.
 *
 * Accepted verifications per second in the mix are bounded by the workload, not by the
 * service: a subject can be accepted once per step, so a phase inside one step accepts at
 * most 10,000 codes. The first-use phase is the one that measures how fast the service
 * accepts.
 *
 * @module
 */
import { startService } from "./servers.ts";
import { runWrkScript } from "./wrk.ts";
import { startRedisServer } from "../testing/redis.ts";
import { enrolSubjects } from "./realistic_enrol.ts";
import { codesFileText, precomputeCodes, stepsToCover } from "./realistic_codes.ts";
import { parseScriptCounts, phaseFigures, type RealisticPhase } from "./realistic_answers.ts";

/** results/latest.json's `realistic`. */
export interface RealisticResults {
  subjects: number;
  /** Milliseconds to enrol the subjects, per store. */
  enrolMs: Record<string, number>;
  phases: RealisticPhase[];
}

/** Options for {@linkcode benchRealistic}. */
export interface RealisticOptions {
  /** Subjects to enrol. @default {10000} */
  subjects?: number;
  /** Seconds of the mix phase, and the most the first-use phase may take. */
  seconds: number;
  connections: number;
  log: (line: string) => void;
}

const TOKEN = "bench-admin-token-0123456789";

/** Runs both phases on both stores; `work` is a scratch folder with `keys/`. */
export async function benchRealistic(
  work: string,
  options: RealisticOptions,
): Promise<RealisticResults> {
  const count = options.subjects ?? 10_000;
  const results: RealisticResults = { subjects: count, enrolMs: {}, phases: [] };
  const redis = await startRedisServer();
  try {
    for (const store of ["kv", "redis"] as const) {
      const dataDir = `${work}/realistic-${store}`;
      await Deno.mkdir(dataDir, { recursive: true });
      const redisUrl = `${redis.url}/3`;
      const { subjects, ms } = await enrolSubjects(
        `${work}/keys`,
        store === "kv" ? { store, stateFile: `${dataDir}/state.kv` } : { store, url: redisUrl },
        count,
      );
      results.enrolMs[store] = ms;
      options.log(`realistic ${store}: enrolled ${count} subjects in ${ms} ms`);
      // Both phases, with margin: the codes cover every step the run can reach.
      const cover = stepsToCover({ now: Date.now(), seconds: 2 * options.seconds + 60 });
      const codesFile = await Deno.makeTempFile({ suffix: ".codes" });
      await Deno.writeTextFile(
        codesFile,
        codesFileText(subjects.map((s) => s.id), await precomputeCodes(subjects, cover), cover),
      );
      const service = await startService({
        KEYS_DIR: `${work}/keys`,
        DATA_DIR: dataDir,
        CRON_DIR: `${work}/realistic-cron`,
        ADMIN_TOKEN: TOKEN,
        STATE_STORE: store,
        ...(store === "redis" ? { REDIS_URL: redisUrl } : {}),
        // The shipped defaults (config.ts), written out so a developer's .env cannot change them.
        REPLAY_PROTECTION: "true",
        THROTTLE_MAX_FAILURES: "5",
        // Per client address, and wrk is one client: left on, it would answer nearly all 429.
        RATE_LIMIT_PER_MINUTE: "0",
      });
      try {
        for (const phase of ["first use", "mix"] as const) {
          const { result, stdout } = await runWrkScript({
            url: service.url,
            headers: { authorization: `Bearer ${TOKEN}` },
            connections: options.connections,
            seconds: options.seconds,
          }, {
            script: "realistic.lua",
            env: {
              CODES_FILE: codesFile,
              MODE: phase === "first use" ? "once" : "mix",
              STEP_OFFSET: phase === "first use" ? "-1" : "0",
            },
          });
          if (result.socketErrors > 0) {
            throw new Error(`realistic ${store} ${phase}: ${result.socketErrors} socket errors`);
          }
          const row = phaseFigures(
            { store, phase, connections: options.connections },
            result,
            parseScriptCounts(stdout),
          );
          results.phases.push(row);
          options.log(
            `realistic ${store.padEnd(5)} ${phase.padEnd(9)} c=${row.connections} ` +
              `${row.verificationsPerSecond} verifications/s, ${row.acceptedPerSecond} accepted/s ` +
              `over ${row.seconds} s, p50 ${row.p50} ms p99 ${row.p99} ms, ` +
              `valid ${row.shares.valid}% rejected ${row.shares.rejected}% locked ${row.shares.locked}%`,
          );
        }
      } finally {
        await service.stop();
        await Deno.remove(codesFile);
      }
    }
  } finally {
    await redis.stop();
  }
  return results;
}
