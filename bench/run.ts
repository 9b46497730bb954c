/**
 * `deno task bench`: the whole benchmark in one run on one machine — this service (with
 * protections relaxed, and as it really behaves), the Deno + Hono ceiling and the FastAPI
 * reference under the same wrk settings; start time, memory and a soak; the in-process
 * crypto costs beside `openssl speed`. Writes bench/results/latest.json, the table in
 * bench/README.md and bench/results/chart.svg.
 *
 * Environment: BENCH_SECONDS (10), BENCH_WARMUP (2), BENCH_CONNECTIONS (1,32,128),
 * BENCH_SOAK_SECONDS (60), BENCH_STARTS (10), BENCH_SUBJECTS (10000) — smaller values give a quick smoke run.
 * `--only realistic` (or BENCH_ONLY=realistic) runs just the realistic workload and the
 * relaxed verify it is compared with, and prints them (no file is written); BENCH_ONLY=v1
 * re-measures the /v1 store comparison into the last full run.
 */
import { ROOT, say } from "./paths.ts";
import {
  type BenchServer,
  rssBytes,
  startFastApi,
  startHonoCeiling,
  startService,
} from "./servers.ts";
import { runWrk, type WrkResult } from "./wrk.ts";
import { writeReport } from "./report.ts";
import { benchV1Stores } from "./v1_stores.ts";
import { benchRealistic } from "./realistic.ts";
import { realisticMarkdown } from "./realistic_report.ts";
import { machineInfo, missingTools, opensslRsa4096, runCryptoBench } from "./environment.ts";
import { createFixture, seedServer as seedWith } from "./fixture.ts";

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const SECONDS = Number(env("BENCH_SECONDS", "10"));
const WARMUP = Number(env("BENCH_WARMUP", "2"));
const CONNECTIONS = env("BENCH_CONNECTIONS", "1,32,128").split(",").map(Number);
const SOAK_SECONDS = Number(env("BENCH_SOAK_SECONDS", "60"));
const STARTS = Number(env("BENCH_STARTS", "10"));
const ONLY = Deno.args[0] === "--only" ? Deno.args[1] : Deno.env.get("BENCH_ONLY");
/** The realistic workload and the relaxed verify rate it is compared with. */
const REALISTIC_CONNECTIONS = 32;
const SUBJECTS = Number(env("BENCH_SUBJECTS", "10000"));
const RELAXED_VERIFY = "POST /verify-2fa (current code)";

const missing = await missingTools();
if (missing.length > 0) {
  say(`Missing: ${missing.join(", ")}. Install them with:`);
  say(
    "  apt-get update && apt-get install -y wrk openssl python3-fastapi python3-uvicorn python3-pyotp python3-cryptography",
  );
  Deno.exit(1);
}

// A key pair and a seed, encrypted as an issuer would send it.
const fixture = await createFixture();
const { work, encryptedSeed, currentCode, wrongCode } = fixture;

interface Case {
  name: string;
  method: "GET" | "POST";
  path: string;
  body?: () => Promise<string>;
  /** Non-2xx answers are the behaviour under test (throttling), not errors. */
  expectNon2xx?: boolean;
}
const CASES: Case[] = [
  { name: "GET /generate-2fa", method: "GET", path: "/generate-2fa" },
  {
    name: "POST /verify-2fa (wrong code)",
    method: "POST",
    path: "/verify-2fa",
    body: async () => JSON.stringify({ code: await wrongCode() }),
  },
  {
    name: "POST /verify-2fa (current code)",
    method: "POST",
    path: "/verify-2fa",
    body: async () => JSON.stringify({ code: await currentCode() }),
  },
  {
    name: "POST /decrypt-seed (re-post)",
    method: "POST",
    path: "/decrypt-seed",
    body: () => Promise.resolve(JSON.stringify({ encrypted_seed: encryptedSeed })),
  },
  { name: "GET /health", method: "GET", path: "/health" },
];

interface Row extends WrkResult {
  server: string;
  case: string;
  connections: number;
  expectNon2xx: boolean;
}
const rows: Row[] = [];

function seedServer(server: BenchServer): Promise<void> {
  return seedWith(server, fixture);
}

async function load(
  server: BenchServer,
  label: string,
  cases: Case[],
  expectNon2xx = false,
  connectionCounts = CONNECTIONS,
): Promise<void> {
  for (const c of cases) {
    for (const connections of connectionCounts) {
      const result = await runWrk({
        url: server.url + c.path,
        method: c.method,
        ...(c.body ? { body: await c.body() } : {}),
        connections,
        seconds: SECONDS,
        warmupSeconds: WARMUP,
      });
      const expected = expectNon2xx || c.expectNon2xx === true;
      rows.push({ server: label, case: c.name, connections, expectNon2xx: expected, ...result });
      say(
        `${label.padEnd(22)} ${c.name.padEnd(34)} c=${String(connections).padEnd(3)} ${
          String(result.rps).padStart(7)
        } req/s  p99 ${result.p99} ms  non-2xx ${result.non2xx}`,
      );
      if ((!expected && result.non2xx > 0) || result.socketErrors > 0) {
        throw new Error(
          `${label} ${c.name}: ${result.non2xx} unexpected non-2xx answers, ${result.socketErrors} socket errors: the run is invalid`,
        );
      }
    }
  }
}

if (ONLY === "v1") {
  // Re-measure only the /v1 store comparison and merge it into the last full run.
  try {
    const path = `${ROOT}/bench/results/latest.json`;
    const results = JSON.parse(await Deno.readTextFile(path));
    results.v1Stores = await benchV1Stores(work, {
      seconds: SECONDS,
      warmupSeconds: WARMUP,
      connections: [32],
      log: say,
    });
    results.v1StoresDate = new Date().toISOString();
    await Deno.writeTextFile(path, JSON.stringify(results, null, 2) + "\n");
    await writeReport(results);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  Deno.exit(0);
}

const relaxed = fixture.relaxedEnv;
const memory: Record<string, number> = {};
const starts: number[] = [];

if (ONLY === "realistic") {
  try {
    const service = await startService({ ...relaxed, DATA_DIR: `${work}/relaxed` });
    await seedServer(service);
    const verify = CASES.find((c) => c.name === RELAXED_VERIFY)!;
    await load(service, "pki-2fa (relaxed)", [verify], false, [REALISTIC_CONNECTIONS]);
    await service.stop();
    const realistic = await benchRealistic(work, {
      subjects: SUBJECTS,
      seconds: SECONDS,
      connections: REALISTIC_CONNECTIONS,
      log: say,
    });
    const relaxedVerifyRps = rows[0]!.rps;
    const date = new Date().toISOString();
    // The report goes to standard output: only a full run writes results/ and the README.
    const out = realisticMarkdown({ ...realistic, relaxedVerifyRps }) + "\n\n" +
      JSON.stringify({ date, realistic: { ...realistic, relaxedVerifyRps } }) + "\n";
    const bytes = new TextEncoder().encode(out);
    for (let n = 0; n < bytes.length;) n += await Deno.stdout.write(bytes.subarray(n));
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  Deno.exit(0);
}

try {
  // Start time: median of STARTS cold starts to the first 200 on /health.
  for (let i = 0; i < STARTS; i++) {
    const s = await startService({ ...relaxed, DATA_DIR: `${work}/start-${i}` });
    starts.push(s.startMs);
    await s.stop();
  }

  let service = await startService({ ...relaxed, DATA_DIR: `${work}/relaxed` });
  await seedServer(service);
  memory.afterStartBytes = await rssBytes(service.pid);
  await load(service, "pki-2fa (relaxed)", CASES);
  memory.afterLoadBytes = await rssBytes(service.pid);

  // Soak: steady load, memory sampled every 5 s.
  const samples: number[] = [];
  const soak = runWrk({
    url: `${service.url}/verify-2fa`,
    method: "POST",
    body: JSON.stringify({ code: await wrongCode() }),
    connections: 32,
    seconds: SOAK_SECONDS,
    warmupSeconds: 0,
  });
  const sampler = setInterval(async () => samples.push(await rssBytes(service.pid)), 5000);
  const soakResult = await soak;
  clearInterval(sampler);
  memory.soakFirstBytes = samples[0] ?? 0;
  memory.soakLastBytes = samples.at(-1) ?? 0;
  memory.soakMaxBytes = Math.max(...samples);
  memory.soakRps = soakResult.rps;
  await service.stop();

  // As it really behaves: replay protection and throttling on (rate limit off: one client IP).
  service = await startService({
    ...relaxed,
    REPLAY_PROTECTION: "true",
    THROTTLE_MAX_FAILURES: "5",
    DATA_DIR: `${work}/protected`,
  });
  await seedServer(service);
  await load(service, "pki-2fa (protected)", CASES.filter((c) => c.path === "/verify-2fa"), true);
  await service.stop();

  const hono = await startHonoCeiling();
  await load(hono, "deno+hono ceiling", CASES);
  await hono.stop();

  const v1Stores = await benchV1Stores(work, {
    seconds: SECONDS,
    warmupSeconds: WARMUP,
    connections: [32],
    log: say,
  });

  const realistic = await benchRealistic(work, {
    subjects: SUBJECTS,
    seconds: SECONDS,
    connections: REALISTIC_CONNECTIONS,
    log: say,
  });
  const relaxedVerifyRps = rows.find((r) =>
    r.server === "pki-2fa (relaxed)" && r.case === RELAXED_VERIFY &&
    r.connections === REALISTIC_CONNECTIONS
  )?.rps;

  const fastapiData = `${work}/fastapi`;
  const fastapi = await startFastApi({ DATA_DIR: fastapiData, KEYS_DIR: `${work}/keys` });
  await seedServer(fastapi);
  await load(fastapi, "fastapi reference", CASES);
  await fastapi.stop();

  const results = {
    date: new Date().toISOString(),
    machine: await machineInfo(),
    settings: {
      seconds: SECONDS,
      warmupSeconds: WARMUP,
      connections: CONNECTIONS,
      soakSeconds: SOAK_SECONDS,
    },
    http: rows,
    v1Stores,
    realistic: { ...realistic, relaxedVerifyRps },
    startMs: {
      runs: starts,
      median: [...starts].sort((a, b) => a - b)[Math.floor(starts.length / 2)],
    },
    memory,
    crypto: await runCryptoBench(),
    openssl: await opensslRsa4096(),
  };
  await Deno.mkdir(`${ROOT}/bench/results`, { recursive: true });
  await Deno.writeTextFile(
    `${ROOT}/bench/results/latest.json`,
    JSON.stringify(results, null, 2) + "\n",
  );
  await writeReport(results);
  say(
    "Wrote bench/results/latest.json, bench/results/chart.svg and the table in bench/README.md",
  );
} finally {
  await Deno.remove(work, { recursive: true });
}
