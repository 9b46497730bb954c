/**
 * `.env` does what `.env.example` promises: `deno task start` reads it when it is there,
 * starts the same (and quietly) when it is not, and a variable in the real environment
 * wins over the file. Each test starts the real process, with the start task's own flags,
 * in a folder that links to the project and has its own `.env`, so no test writes a
 * `.env` where other tests start the service.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { opensslKeyPair } from "../testing/openssl.ts";
import { PROJECT_ROOT, type ServerProcess, startServer } from "../testing/server_process.ts";

/** Project entries the copy must not share: state, keys, output and any real `.env`. */
const NOT_LINKED = new Set([".env", ".git", "data", "cron-output", "keys", "test_output"]);

const ADMIN = "env-file-admin-token-0123456789";
const REAL = "real-environment-token-0123456789";

interface ProjectCopy extends AsyncDisposable {
  dir: string;
  writeEnv(text: string): Promise<void>;
}

/** A folder with a link to every project entry, and its own keys (2048-bit: quick). */
async function projectCopy(): Promise<ProjectCopy> {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-env-" });
  for await (const entry of Deno.readDir(PROJECT_ROOT)) {
    if (!NOT_LINKED.has(entry.name)) {
      await Deno.symlink(join(PROJECT_ROOT, entry.name), join(dir, entry.name));
    }
  }
  await Deno.mkdir(join(dir, "keys"));
  await opensslKeyPair(join(dir, "keys"), { bits: 2048 });
  return {
    dir,
    writeEnv: (text) => Deno.writeTextFile(join(dir, ".env"), text),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

async function statusWith(server: ServerProcess, token: string | null): Promise<number> {
  const response = await fetch(`${server.url}/generate-2fa`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  return response.status;
}

async function stopped(server: ServerProcess): Promise<string> {
  assert.equal(await server.stop(), 0, server.output());
  return server.output();
}

Deno.test("deno task start without a .env starts on the defaults and prints no warning", async () => {
  await using copy = await projectCopy();
  const server = await startServer({}, { cwd: copy.dir });
  assert.equal(await statusWith(server, null), 500, "no token needed (the seed is missing)");
  const output = await stopped(server);
  assert.doesNotMatch(output, /warning|\.env/i);
  // The defaults are relative to the folder it started in.
  assert.ok((await Deno.stat(join(copy.dir, "data"))).isDirectory);
});

Deno.test("deno task start reads .env: its values reach the service", async () => {
  await using copy = await projectCopy();
  await copy.writeEnv(
    `# a comment, as in .env.example\nADMIN_TOKEN=${ADMIN}\nLOG_FORMAT=pretty\n` +
      `DATA_DIR="${copy.dir}/from-env-file"\n`,
  );
  const server = await startServer({}, { cwd: copy.dir });
  assert.equal(await statusWith(server, null), 401);
  assert.equal(await statusWith(server, ADMIN), 500, "the token from .env opens the route");
  const output = await stopped(server);
  assert.ok((await Deno.stat(join(copy.dir, "from-env-file"))).isDirectory);
  assert.doesNotMatch(output.trimStart(), /^\{/, "LOG_FORMAT=pretty: not JSON");
  assert.ok(!output.includes(ADMIN), "the token never reaches the logs");
});

Deno.test("the real environment wins over .env, even when it sets a variable empty", async () => {
  await using copy = await projectCopy();
  await copy.writeEnv(`ADMIN_TOKEN=${ADMIN}\n`);
  const real = await startServer({ ADMIN_TOKEN: REAL }, { cwd: copy.dir });
  assert.equal(await statusWith(real, ADMIN), 401, "the .env token is not the one in use");
  assert.equal(await statusWith(real, REAL), 500);
  await stopped(real);

  const empty = await startServer({ ADMIN_TOKEN: "" }, { cwd: copy.dir });
  assert.equal(await statusWith(empty, null), 500, "empty in the environment: unset, open");
  await stopped(empty);
});

Deno.test(".env.example copied to .env starts the service as documented", async () => {
  await using copy = await projectCopy();
  await copy.writeEnv(await Deno.readTextFile(join(PROJECT_ROOT, ".env.example")));
  const server = await startServer({}, { cwd: copy.dir });
  assert.equal(await statusWith(server, null), 500);
  const output = await stopped(server);
  assert.match(output, /^\{"time":/, "LOG_FORMAT=json, as the example says");
  assert.ok((await Deno.stat(join(copy.dir, "data"))).isDirectory);
});
