/**
 * One wrk run from a second process over loopback: a warm-up, then the measured run,
 * with the figures read from a Lua `done()` hook as JSON.
 *
 * @module
 */
import { fromFileUrl } from "./paths.ts";

/** What to load. */
export interface WrkCase {
  url: string;
  method: "GET" | "POST";
  /** JSON body for POST. */
  body?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  connections: number;
  /** Measured seconds. */
  seconds: number;
  /** Warm-up seconds, discarded. */
  warmupSeconds: number;
}

/** The figures of one run. Latencies in milliseconds. */
export interface WrkResult {
  rps: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const report = await Deno.readTextFile(fromFileUrl(new URL("./lua/report.lua", import.meta.url)));
const post = await Deno.readTextFile(fromFileUrl(new URL("./lua/post.lua", import.meta.url)));
const headers = await Deno.readTextFile(fromFileUrl(new URL("./lua/headers.lua", import.meta.url)));

async function wrk(
  c: WrkCase,
  seconds: number,
  script: string,
  env: Record<string, string> = {},
): Promise<{ result: WrkResult; stdout: string }> {
  const threads = Math.min(2, c.connections);
  const output = await new Deno.Command("wrk", {
    args: [
      "-t",
      String(threads),
      "-c",
      String(c.connections),
      "-d",
      `${seconds}s`,
      "--timeout",
      "10s",
      "-s",
      script,
      c.url,
    ],
    env: {
      ...(c.body === undefined ? {} : { BODY: c.body }),
      HEADERS_LINES: Object.entries(c.headers ?? {}).map(([k, v]) => `${k}: ${v}`).join("\n"),
      THREADS: String(threads),
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const line = text.split("\n").find((l) => l.startsWith('{"requests"'));
  if (!output.success || line === undefined) {
    throw new Error(`wrk failed: ${new TextDecoder().decode(output.stderr)}${text}`);
  }
  const raw = JSON.parse(line);
  const ms = (us: number) => Math.round(us) / 1000;
  const result = {
    rps: Math.round(raw.requests / (raw.duration_us / 1e6)),
    requests: raw.requests,
    non2xx: raw.non2xx,
    socketErrors: raw.socket_errors,
    p50: ms(raw.p50),
    p90: ms(raw.p90),
    p99: ms(raw.p99),
    max: ms(raw.max),
  };
  return { result, stdout: text };
}

/** Warms up, then measures. */
export async function runWrk(c: WrkCase): Promise<WrkResult> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  try {
    await Deno.writeTextFile(script, (c.method === "POST" ? post : "") + headers + report);
    if (c.warmupSeconds > 0) await wrk(c, c.warmupSeconds, script);
    return (await wrk(c, c.seconds, script)).result;
  } finally {
    await Deno.remove(script);
  }
}

/**
 * One measured run (no warm-up) of a Lua script of bench/lua/ that makes its own requests
 * (`request()`), after headers.lua and report.lua; `env` reaches the script. Returns the
 * figures and wrk's whole output, for the lines the script adds.
 */
export async function runWrkScript(
  c: Omit<WrkCase, "warmupSeconds" | "method" | "body">,
  options: { script: string; env: Record<string, string> },
): Promise<{ result: WrkResult; stdout: string }> {
  const lua = await Deno.readTextFile(
    fromFileUrl(new URL(`./lua/${options.script}`, import.meta.url)),
  );
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  try {
    await Deno.writeTextFile(script, headers + report + lua);
    return await wrk({ ...c, method: "POST", warmupSeconds: 0 }, c.seconds, script, options.env);
  } finally {
    await Deno.remove(script);
  }
}
