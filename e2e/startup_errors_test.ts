/**
 * Start-up failures of the real process (issue 12 item 8): each one exits 1 with one log
 * line naming the variable or file and what to do, and no stack trace. Before the fix a
 * missing AUDIT_LOG_FILE folder and a busy port ended in an uncaught error with a stack
 * trace, the busy port only after state.kv had been created, and a damaged state.kv named
 * neither the file nor a remedy.
 */
import assert from "node:assert/strict";
import { run } from "../testing/command.ts";
import { opensslKeyPair } from "../testing/openssl.ts";
import {
  DENO,
  freePort,
  isolatedEnv,
  PROJECT_ROOT,
  startTaskArgs,
} from "../testing/server_process.ts";

/** Starts the service with `env`; returns its exit code, stderr and last stdout line. */
async function start(env: Record<string, string>) {
  const result = await run(DENO, await startTaskArgs(), {
    cwd: PROJECT_ROOT,
    env: isolatedEnv({ HOST: "127.0.0.1", PORT: String(freePort()), ...env }),
  });
  const lines = result.stdout.trim().split("\n");
  return { code: result.code, stderr: result.stderr, last: JSON.parse(lines.at(-1)!), lines };
}

async function withKeys(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-start-" });
  try {
    await Deno.mkdir(`${dir}/keys`);
    await opensslKeyPair(`${dir}/keys`);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertOneClearLine(result: Awaited<ReturnType<typeof start>>, msg: string): void {
  assert.equal(result.code, 1);
  assert.equal(result.stderr, "", "no stack trace");
  assert.equal(result.last.level, "error");
  assert.equal(result.last.msg, msg);
  assert.equal(result.lines.filter((l) => l.includes('"level":"error"')).length, 1);
  assert.doesNotMatch(result.lines.join("\n"), /\bat \S+ \(|file:\/\//);
}

Deno.test("a missing AUDIT_LOG_FILE folder stops the start with one line naming the variable and folder", async () => {
  await withKeys(async (dir) => {
    const result = await start({
      KEYS_DIR: `${dir}/keys`,
      DATA_DIR: `${dir}/data`,
      AUDIT_LOG_FILE: `${dir}/missing/audit.log`,
    });
    assertOneClearLine(
      result,
      `AUDIT_LOG_FILE "${dir}/missing/audit.log": the folder "${dir}/missing" does not exist; ` +
        "create it, or set AUDIT_LOG_FILE to a file in an existing folder",
    );
  });
});

Deno.test("a busy port stops the start with one line naming PORT, before anything is written", async () => {
  await withKeys(async (dir) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const { port } = listener.addr as Deno.NetAddr;
      const result = await start({
        KEYS_DIR: `${dir}/keys`,
        DATA_DIR: `${dir}/data`,
        CRON_DIR: `${dir}/cron`,
        PORT: String(port),
      });
      assertOneClearLine(
        result,
        `PORT ${port} on 127.0.0.1 is already in use: stop the other process, or set PORT to a free port`,
      );
      assert.equal(result.lines.length, 1, "it failed before loading anything");
    } finally {
      listener.close();
    }
    const left = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(left, ["keys"], "no data or cron folder, no state.kv");
  });
});

Deno.test("a damaged state.kv stops the start with one line naming the file and what to do", async () => {
  await withKeys(async (dir) => {
    await Deno.mkdir(`${dir}/data`);
    const garbage = crypto.getRandomValues(new Uint8Array(5000));
    await Deno.writeFile(`${dir}/data/state.kv`, garbage);
    const result = await start({ KEYS_DIR: `${dir}/keys`, DATA_DIR: `${dir}/data` });
    assertOneClearLine(
      result,
      `Cannot open the state store "${dir}/data/state.kv" (DATA_DIR): file is not a database; ` +
        "the file is damaged: restore it from a backup, or stop the service and move it away " +
        "to start with an empty store (replay marks, lockouts and the /v1 subjects are lost)",
    );
    assert.deepEqual(await Deno.readFile(`${dir}/data/state.kv`), garbage, "left as it was");
  });
});

Deno.test("a DATA_DIR that is a file stops the start with one line naming it (it was a stack trace)", async () => {
  await withKeys(async (dir) => {
    await Deno.writeTextFile(`${dir}/afile`, "");
    const result = await start({ KEYS_DIR: `${dir}/keys`, DATA_DIR: `${dir}/afile` });
    assertOneClearLine(
      result,
      `DATA_DIR "${dir}/afile" is not a folder (a file is in the way); move the file, or set ` +
        "DATA_DIR to a folder",
    );
  });
});
