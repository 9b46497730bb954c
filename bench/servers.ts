/**
 * The processes under test: this service (started exactly as `deno task start` starts
 * it), the Deno + Hono ceiling and the FastAPI reference. Each is started on a free port,
 * waited for until `/health` answers, and can report its resident memory.
 *
 * @module
 */
import { ROOT } from "./paths.ts";
import { freePort, isolatedEnv } from "../testing/server_process.ts";

/** A started server. */
export interface BenchServer {
  name: string;
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first 200 on /health. */
  startMs: number;
  stop(): Promise<void>;
}

/** Resident memory of a process, in bytes (Linux /proc). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`No VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

/**
 * CPU time a process has used so far, user + system, in seconds (Linux /proc; the kernel
 * counts it in ticks of 1/100 s).
 */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // The fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startProcess(
  name: string,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string; port: number },
): Promise<BenchServer> {
  const started = performance.now();
  const child = new Deno.Command(cmd, {
    args,
    env,
    cwd: options.cwd ?? ROOT,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const url = `http://127.0.0.1:${options.port}`;
  let startMs = -1;
  for (let i = 0; i < 6000 && startMs < 0; i++) {
    try {
      const response = await fetch(`${url}/health`);
      await response.body?.cancel();
      if (response.status === 200) startMs = performance.now() - started;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  if (startMs < 0) {
    child.kill("SIGKILL");
    const { stderr } = await child.output();
    throw new Error(`${name} did not start: ${new TextDecoder().decode(stderr)}`);
  }
  return {
    name,
    url,
    pid: child.pid,
    startMs,
    async stop() {
      child.kill("SIGTERM");
      await child.stderr.cancel();
      await child.status;
    },
  };
}

/** Options for {@linkcode startService}. */
export interface StartServiceOptions {
  /** Flags for `deno run` before the task's own (`--cpu-prof`, `--v8-flags=...`). @default {[]} */
  denoFlags?: string[];
}

/**
 * This service, with the flags of `deno task start` and extra environment; every other
 * configuration variable is set empty, so a developer's `.env` cannot change what is measured.
 */
export async function startService(
  env: Record<string, string>,
  options: StartServiceOptions = {},
): Promise<BenchServer> {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const [, run, ...args] = (denoJson.tasks.start as string).split(/\s+/);
  const port = freePort();
  return startProcess(
    "pki-2fa",
    Deno.execPath(),
    [run!, ...(options.denoFlags ?? []), ...args],
    isolatedEnv({ HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "info", ...env }),
    { port },
  );
}

/** The Deno + Hono ceiling. */
export function startHonoCeiling(): Promise<BenchServer> {
  const port = freePort();
  return startProcess(
    "hono-ceiling",
    Deno.execPath(),
    [
      "run",
      "--allow-net",
      "--allow-env=PORT",
      "bench/hono_ceiling.ts",
    ],
    { PORT: String(port) },
    { port },
  );
}

/** The FastAPI reference (Debian's python3 with its packages), one uvicorn worker. */
export function startFastApi(env: Record<string, string>): Promise<BenchServer> {
  const port = freePort();
  return startProcess(
    "fastapi-ref",
    "/usr/bin/python3",
    [
      "-m",
      "uvicorn",
      "app:app",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--workers",
      "1",
    ],
    env,
    { port, cwd: `${ROOT}/bench/peers/fastapi_ref` },
  );
}
