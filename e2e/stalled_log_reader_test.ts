/**
 * A reader of standard output that stops reading (a stuck log driver, a full pipe). Before
 * the fix each log line was written with `writeSync`: once the pipe's 64 KiB were full the
 * whole process waited on the reader, and every request with it. Now the requests are
 * answered, the lines past the 4 MiB bound are dropped and counted, and a warning line
 * marks the place once the reader moves again.
 */
import assert from "node:assert/strict";
import { serviceDir } from "../testing/service_dir.ts";
import {
  DENO,
  freePort,
  isolatedEnv,
  PROJECT_ROOT,
  startTaskArgs,
} from "../testing/server_process.ts";

const decoder = new TextDecoder();
/** 404s with a long path: each access line is about 450 bytes. */
const REQUESTS = 12_000;
const CONCURRENCY = 32;

Deno.test("a stalled stdout reader holds no request; lines past the bound are dropped, counted and reported", async () => {
  await using folder = await serviceDir("pki2fa-stall-");
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = new Deno.Command(DENO, {
    args: await startTaskArgs(),
    cwd: PROJECT_ROOT,
    env: isolatedEnv({
      ...folder.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "info",
      RATE_LIMIT_PER_MINUTE: "0",
    }),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.getReader();
  let text = "";
  try {
    // Read until the service listens, then stop reading: the pipe fills and stays full.
    const deadline = Date.now() + 30_000;
    while (!text.includes('"msg":"Listening"') && Date.now() < deadline) {
      const { value, done } = await stdout.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.match(text, /"msg":"Listening"/);

    const path = `/${"x".repeat(300)}`;
    let next = 0;
    let slowest = 0;
    const statuses = new Map<number, number>();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++;
        const started = performance.now();
        // A process blocked on the pipe never answers: the signal turns that into a failure.
        const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(20_000) });
        await response.body?.cancel();
        slowest = Math.max(slowest, performance.now() - started);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }));
    assert.deepEqual([...statuses], [[404, REQUESTS]], `slowest answer ${slowest.toFixed(0)} ms`);

    const metrics = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(20_000) }))
      .text();
    const counted = Number(/^pki2fa_log_lines_dropped_total (\d+)$/m.exec(metrics)?.[1]);
    // 12,000 lines of ~450 bytes are ~5.4 MB: more than the 4 MiB held plus the pipe's 64 KiB.
    assert.ok(counted > 500 && counted < REQUESTS, `dropped ${counted}`);

    // The reader moves again: what was held arrives, then the warning; once it has caught up,
    // new lines follow. (A line logged before the held text has drained still finds no room.)
    const reading = (async () => {
      for (;;) {
        const { value, done } = await stdout.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })();
    for (let i = 0; i < 400 && !text.includes("log lines were dropped here"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const after = await fetch(`${url}/health?after`, { signal: AbortSignal.timeout(20_000) });
    assert.equal(after.status, 200);
    await after.body?.cancel();
    for (let i = 0; i < 200 && !/"path":"\/health","status":200/.test(text); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lines = text.trimEnd().split("\n").map((line) => JSON.parse(line));
    const warnings = lines.filter((line) => line.msg.startsWith("Standard output was not read"));
    assert.equal(warnings.length, 1, "one warning for one stall");
    assert.equal(warnings[0].level, "warn");
    assert.ok(warnings[0].dropped >= counted, `${warnings[0].dropped} >= ${counted}`);
    const accessLines = lines.filter((line) => line.status === 404).length;
    // Every 404 is logged or counted; the few other drops are lines of the same moment (the
    // /metrics request's own access line).
    const otherDropped = warnings[0].dropped - (REQUESTS - accessLines);
    assert.ok(otherDropped >= 0 && otherDropped <= 3, `${otherDropped} other lines dropped`);
    const warningAt = lines.indexOf(warnings[0]);
    const healthAt = lines.findIndex((line) => line.path === "/health" && line.status === 200);
    assert.ok(healthAt > warningAt, "lines after the stall follow the warning");
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await reading;
    assert.equal(await stderr, "");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    await stdout.cancel().catch(() => {});
  }
});

/** Starts the service with `env` and stdout on a pipe this test reads only when it says. */
async function spawnStalled(
  env: Record<string, string>,
  options: { prefill?: boolean } = {},
): Promise<
  {
    child: Deno.ChildProcess;
    stdout: ReadableStreamDefaultReader<Uint8Array>;
    stderr: Promise<string>;
  }
> {
  const args = await startTaskArgs();
  const child = new Deno.Command(options.prefill ? "sh" : DENO, {
    // A pipe already full before the service writes its first byte (64 KiB on Linux).
    args: options.prefill
      ? ["-c", 'head -c 65536 /dev/zero && exec "$0" "$@"', DENO, ...args]
      : args,
    cwd: PROJECT_ROOT,
    env: isolatedEnv({ HOST: "127.0.0.1", LOG_LEVEL: "info", ...env }),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return { child, stdout: child.stdout.getReader(), stderr: new Response(child.stderr).text() };
}

/** The exit status within `ms`, or `null` (the process is then killed). */
async function exitWithin(child: Deno.ChildProcess, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    child.status.then((status) => status.code),
    new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms)),
  ]);
  clearTimeout(timer);
  if (code === null) child.kill("SIGKILL");
  return code;
}

Deno.test("a failed start with stdout already full exits 1 within seconds and says why on stderr", async () => {
  await using folder = await serviceDir("pki2fa-stall-fatal-");
  const { child, stdout, stderr } = await spawnStalled(
    { ...folder.env, PORT: String(freePort()), ALLOWED_HOSTS: "bad host!" },
    { prefill: true },
  );
  try {
    // Before: writeSync on the full pipe held the process (and its open port) for ever.
    assert.equal(await exitWithin(child, 15_000), 1);
    const text = await stderr;
    assert.match(text, /ALLOWED_HOSTS/);
    assert.doesNotMatch(text, /Uncaught|StartAborted|\bat \S+:\d+:\d+/);
  } finally {
    await stdout.cancel().catch(() => {});
    await child.status;
  }
});

Deno.test("a second SIGTERM while the first waits for a stalled stdout changes nothing: exit 0, no stack trace", async () => {
  await using folder = await serviceDir("pki2fa-stall-twice-");
  const port = freePort();
  const { child, stdout, stderr } = await spawnStalled({
    ...folder.env,
    PORT: String(port),
    RATE_LIMIT_PER_MINUTE: "0",
    AUDIT_LOG_FILE: `${folder.dir}/audit.jsonl`,
    METRICS_TOKEN: "metrics-token-0123456789abcdef",
  });
  try {
    let text = "";
    while (!text.includes('"msg":"Listening"')) {
      const { value, done } = await stdout.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    // Stop reading and fill the pipe: 1,000 access lines of about 450 bytes.
    const path = `/${"x".repeat(300)}`;
    for (let i = 0; i < 1_000; i++) {
      await (await fetch(`http://127.0.0.1:${port}${path}`)).body?.cancel();
    }
    // Audit events (auth.denied, then rate.limited) for the audit file to seal at the stop.
    for (let i = 0; i < 12; i++) {
      const refused = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: "Bearer wrong" },
      });
      await refused.body?.cancel();
    }
    child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill("SIGTERM"); // during the stop's wait for stdout (before: BadResource, exit 1)
    assert.equal(await exitWithin(child, 15_000), 0);
    assert.equal(await stderr, "");
    // The stop sealed the audit file with its last checkpoint, once.
    const lines = (await Deno.readTextFile(`${folder.dir}/audit.jsonl`)).trimEnd().split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(lines.map((line) => line.event).slice(-3), [
      "rate.limited",
      "rate.limited",
      "audit.checkpoint",
    ]);
    assert.equal(lines.filter((line) => line.event === "audit.checkpoint").length, 1);
  } finally {
    await stdout.cancel().catch(() => {});
    await child.status;
  }
});

Deno.test("a failed start keeps its exit 1 and its message through a SIGTERM while it waits for a full stdout", async () => {
  await using folder = await serviceDir("pki2fa-stall-fatal2-");
  const env = { ...folder.env, PORT: String(freePort()), ALLOWED_HOSTS: "bad host!" };
  const { child, stdout, stderr } = await spawnStalled(env, { prefill: true });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    child.kill("SIGTERM"); // during the wait for the full pipe (before: killed, 143, no message)
    assert.equal(await exitWithin(child, 15_000), 1);
    assert.match(await stderr, /ALLOWED_HOSTS must be host names/);
  } finally {
    await stdout.cancel().catch(() => {});
    await child.status;
  }
});
