/**
 * Issue 12 item 2 against the real process: with `ulimit -n 256`, 300 idle TCP
 * connections used to end the process ("Uncaught (in promise) Http: Error: Too many open
 * files" from Deno's serve loop, exit 1). Now it keeps running, says so once, and answers
 * again when the connections are gone.
 *
 * `sh` sets the limit (Deno has no setrlimit); it is on every machine the suite runs on.
 */
import assert from "node:assert/strict";
import { opensslKeyPair } from "../testing/openssl.ts";
import {
  DENO,
  freePort,
  isolatedEnv,
  PROJECT_ROOT,
  startTaskArgs,
} from "../testing/server_process.ts";

async function health(url: string): Promise<number | string> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status;
  } catch (error) {
    return error instanceof Error ? error.name : String(error);
  }
}

Deno.test("the real service under ulimit -n 256 survives 300 idle connections and answers again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-fd-" });
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const conns: Deno.TcpConn[] = [];
  try {
    await Deno.mkdir(`${dir}/keys`);
    await opensslKeyPair(`${dir}/keys`);
    const child = new Deno.Command("sh", {
      args: ["-c", 'ulimit -n 256 && exec "$0" "$@"', DENO, ...await startTaskArgs()],
      cwd: PROJECT_ROOT,
      env: isolatedEnv({
        HOST: "127.0.0.1",
        PORT: String(port),
        KEYS_DIR: `${dir}/keys`,
        DATA_DIR: `${dir}/data`,
        CRON_DIR: `${dir}/cron`,
        LOG_LEVEL: "info",
        RATE_LIMIT_PER_MINUTE: "0",
      }),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    let exited: Deno.CommandStatus | null = null;
    child.status.then((status) => (exited = status));
    try {
      for (let i = 0; i < 100 && await health(url) !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(await health(url), 200);
      for (let i = 0; i < 300; i++) {
        try {
          conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        } catch {
          // the backlog is full: the attack has done what it can
        }
      }
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(exited, null, "the process is still running");
      for (const conn of conns.splice(0)) conn.close();
      let answered: number | string = "";
      for (let i = 0; i < 50 && answered !== 200; i++) {
        answered = await health(url);
        if (answered !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(answered, 200, "answers again once the descriptors are free");
      assert.equal(exited, null);
    } finally {
      child.kill("SIGTERM");
      const status = await child.status;
      const [stdout, stderr] = await output;
      assert.equal(status.code, 0, stdout + stderr);
      assert.equal(stderr, "", "no uncaught error");
      const errors = stdout.split("\n").filter((l) => l.includes('"level":"error"'));
      assert.equal(errors.length, 1, stdout);
      const line = JSON.parse(errors[0]!);
      assert.match(line.error, /Too many open files/);
      assert.match(line.msg, /raise the limit \(ulimit -n, or ulimits\.nofile in compose\.yaml\)/);
      assert.match(stdout, /"msg":"Listening again"/);
    }
  } finally {
    for (const conn of conns) conn.close();
    await Deno.remove(dir, { recursive: true });
  }
});
