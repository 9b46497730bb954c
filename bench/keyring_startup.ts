/**
 * What a key rotation costs at start, with 10,000 /v1 subjects on Deno KV: the real
 * service (`deno task start`'s command) is started again and again and timed from spawn to
 * the first `/health` 200 (the app is ready: keys loaded, data key opened), then one
 * subject is verified. Cycles of: a start with no earlier key, `deno task rotate-key`, the
 * first start after it (the data key is rewrapped), a start with one earlier key loaded,
 * and `--retire`. RSA-4096 keys, as the service makes them.
 *
 * Run: deno run -A --config=deno.dev.json bench/keyring_startup.ts [--subjects 10000] [--runs 5]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { say } from "./paths.ts";
import { KvStateStore } from "../store/kv_state_store.ts";
import { SubjectStore } from "../store/subject_store.ts";
import { loadServiceKeys } from "../store/key_files.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { opensslKeyPair } from "../testing/openssl.ts";
import { run } from "../testing/command.ts";
import { DENO, isolatedEnv, PROJECT_ROOT, startServer } from "../testing/server_process.ts";
import { hotp, importHmacKey } from "../crypto/hotp.ts";
import { generateTotp } from "../crypto/totp.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    subjects: { type: "string", default: "10000" },
    runs: { type: "string", default: "5" },
  },
});
const SUBJECTS = Number(values.subjects);
const RUNS = Number(values.runs);
const TOKEN = "bench-admin-token-0123456789";
const root = await Deno.makeTempDir({ prefix: "pki2fa-keyring-bench-" });
const env = {
  DATA_DIR: `${root}/data`,
  CRON_DIR: `${root}/cron`,
  KEYS_DIR: `${root}/keys`,
  ADMIN_TOKEN: TOKEN,
  RATE_LIMIT_PER_MINUTE: "0",
  LOG_LEVEL: "info",
};
const secrets = new Map<string, string>();

/** A line of the result table, on standard output. */
function out(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
}

async function populate(): Promise<void> {
  await Deno.mkdir(env.KEYS_DIR, { recursive: true });
  await Deno.mkdir(env.DATA_DIR, { recursive: true, mode: 0o700 });
  await opensslKeyPair(env.KEYS_DIR, { bits: 4096 });
  const keys = await loadServiceKeys(env.KEYS_DIR, { logger: createMemoryLogger() });
  const state = await KvStateStore.open(`${env.DATA_DIR}/state.kv`);
  const subjects = await SubjectStore.open(state, keys, { logger: createMemoryLogger() });
  const started = performance.now();
  for (let i = 0; i < SUBJECTS; i++) {
    const secret = crypto.getRandomValues(new Uint8Array(20));
    const id = `user-${i}`;
    if (i % 997 === 0) secrets.set(id, secret.toHex());
    await subjects.put(id, secret, {
      algorithm: "SHA1",
      digits: 6,
      period: 30,
      issuer: "Bench",
      account_name: id,
    }, { now: Date.now() });
  }
  state.close();
  say(
    `${SUBJECTS} subjects stored in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

interface Start {
  readyMs: number;
  firstVerifyMs: number;
  rewrapped: boolean;
}

async function startOnce(): Promise<Start> {
  const t0 = performance.now();
  const server = await startServer(env);
  const readyMs = performance.now() - t0;
  try {
    const [id, hex] = [...secrets.entries()][Math.floor(Math.random() * secrets.size)]!;
    const key = await importHmacKey(Uint8Array.fromHex(hex));
    const code = (await generateTotp((c) => hotp(key, c), { now: Date.now() })).code;
    const t1 = performance.now();
    const response = await fetch(`${server.url}/v1/subjects/${id}/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ code }),
    });
    const body = await response.json();
    const firstVerifyMs = performance.now() - t1;
    if (response.status !== 200 || typeof body.valid !== "boolean") {
      throw new Error(`verify answered ${response.status} ${JSON.stringify(body)}`);
    }
    return {
      readyMs,
      firstVerifyMs,
      rewrapped: server.output().includes("Rewrapped the /v1 data key"),
    };
  } finally {
    const code = await server.stop();
    if (code !== 0) say(`the service exited ${code}:\n${server.output()}`);
  }
}

function summary(label: string, starts: Start[]): string {
  const ready = starts.map((s) => s.readyMs).sort((a, b) => a - b);
  const verify = starts.map((s) => s.firstVerifyMs).sort((a, b) => a - b);
  const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
  return `| ${label.padEnd(44)} | ${String(starts.length).padStart(4)} | ${
    median(ready).toFixed(0).padStart(9)
  } | ` +
    `${ready[0]!.toFixed(0).padStart(6)} | ${ready.at(-1)!.toFixed(0).padStart(6)} | ` +
    `${median(verify).toFixed(1).padStart(12)} | ${
      starts.some((s) => s.rewrapped) ? "yes" : "no"
    } |`;
}

async function rotateKey(args: string[]): Promise<string> {
  const result = await run(DENO, ["task", "-q", "rotate-key", ...args, "--dir", env.KEYS_DIR], {
    cwd: PROJECT_ROOT,
    env: isolatedEnv({ DATA_DIR: env.DATA_DIR }),
  });
  if (result.code !== 0) throw new Error(result.stderr);
  return result.stdout;
}

try {
  await populate();
  await startOnce(); // warm Deno's module cache; not counted
  // Interleaved, so that the load of a shared machine weighs on every phase alike. Each
  // cycle: a start with no earlier key, rotate-key, the first start after it (rewraps the
  // data key), a start with one earlier key loaded, then --retire.
  const plain: Start[] = [];
  const first: Start[] = [];
  const second: Start[] = [];
  for (let i = 0; i < RUNS; i++) {
    plain.push(await startOnce());
    const rotated = await rotateKey(["--bits", "4096"]);
    first.push(await startOnce());
    second.push(await startOnce());
    await rotateKey(["--retire", /^Previous key: ([0-9a-f]{64})/.exec(rotated)![1]!]);
  }
  const rows = [
    summary("no earlier key (before a rotation)", plain),
    summary("first start after rotate-key (rewrap)", first),
    summary("later start, one earlier key loaded", second),
  ];
  out(
    `${SUBJECTS} subjects, RSA-4096, Deno KV; ${Deno.build.target}, ${navigator.hardwareConcurrency} cores`,
  );
  out(
    "| phase                                        | runs | median ms | min ms | max ms | 1st verify ms | rewrap |",
  );
  out(
    "| -------------------------------------------- | ---: | --------: | -----: | -----: | ------------: | ------ |",
  );
  for (const row of rows) out(row);
} finally {
  await Deno.remove(root, { recursive: true });
}
