/**
 * Starts the real service as a child process with exactly the flags of
 * `deno task start`, read from `deno.json`, so the end-to-end tests cover the command
 * users (and the container) run.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { CONFIG_VARIABLES } from "../config.ts";

/**
 * The Deno that tests start processes with: the one on PATH, as `deno task` and users run
 * it. Named, not `Deno.execPath()`, so the hermetic suite can allow exactly
 * `--allow-run=deno,openssl,git,sh` instead of every program.
 */
export const DENO = "deno";

/** The project's root folder. */
export const PROJECT_ROOT: string = fileURLToPath(new URL(".", new URL("..", import.meta.url)));

/** The arguments of `deno task start` after `deno`. */
export async function startTaskArgs(): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(`${PROJECT_ROOT}/deno.json`));
  const [deno, ...args] = (denoJson.tasks.start as string).split(/\s+/);
  if (deno !== "deno") throw new Error("The start task must begin with deno");
  return args;
}

/**
 * The environment of a service started in {@linkcode PROJECT_ROOT}: `env`, with every other
 * configuration variable set empty. `deno task start` reads `.env` when there is one, but a
 * variable already in the environment wins, even empty (and empty counts as unset), so a
 * developer's own `.env` cannot change what a test starts.
 */
export function isolatedEnv(env: Record<string, string>): Record<string, string> {
  return { ...Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, ""])), ...env };
}

/** Options for {@linkcode startServer}. */
export interface StartServerOptions {
  /**
   * The folder to start in; the service reads the `.env` there. Without it the service
   * starts in {@linkcode PROJECT_ROOT} with {@linkcode isolatedEnv}, ignoring any `.env`.
   */
  cwd?: string;
}

/** Returns a TCP port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A started service. */
export interface ServerProcess {
  url: string;
  child: Deno.ChildProcess;
  /** Everything the process wrote to stdout so far. */
  output(): string;
  /** Sends SIGTERM and waits; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** How many fresh ports {@linkcode startServer} tries when another process takes its port. */
const PORT_ATTEMPTS = 3;

/**
 * Starts the service with `env` and waits until it has logged "Listening" and `/health`
 * answers 200. {@linkcode freePort}'s port can be taken by another test's process before
 * this one binds it, and then `/health` alone would be answered by the other process (a
 * flake once seen as a 500 where a 401 was due); the line proves this process listens.
 * With `LOG_LEVEL` warn or error the line is not logged and `/health` alone decides. A start
 * that loses its port is retried on a fresh port; `env.PORT`, when given, is used as is.
 */
export async function startServer(
  env: Record<string, string>,
  options: StartServerOptions = {},
): Promise<ServerProcess> {
  for (let attempt = 1;; attempt++) {
    const started = await startOnce(env, options);
    if ("server" in started) return started.server;
    if (!started.portTaken || env.PORT !== undefined || attempt >= PORT_ATTEMPTS) {
      throw new Error(started.message);
    }
  }
}

type StartAttempt = { server: ServerProcess } | { portTaken: boolean; message: string };

async function startOnce(
  env: Record<string, string>,
  options: StartServerOptions,
): Promise<StartAttempt> {
  const port = env.PORT ?? String(freePort());
  const base = { HOST: "127.0.0.1", PORT: port, ...env };
  const child = new Deno.Command(DENO, {
    args: await startTaskArgs(),
    cwd: options.cwd ?? PROJECT_ROOT,
    env: options.cwd === undefined ? isolatedEnv(base) : base,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const collect = (stream: ReadableStream<Uint8Array>) =>
    stream.pipeTo(
      new WritableStream({
        write: (chunk) => void (text += decoder.decode(chunk, { stream: true })),
      }),
    );
  const piping = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    url,
    child,
    output: () => text,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
      const status = await child.status;
      await piping;
      return status.code;
    },
  };
  const quiet = env.LOG_LEVEL === "warn" || env.LOG_LEVEL === "error";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (quiet || text.includes("Listening")) {
      try {
        const response = await fetch(`${url}/health`);
        await response.body?.cancel();
        if (response.status === 200) return { server };
      } catch {
        // not answering yet
      }
    }
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 50)),
    ]);
    if (exited) break;
  }
  const code = await server.stop("SIGKILL");
  return {
    portTaken: /already in use/.test(text),
    message: `The service did not become healthy (exit ${code}):\n${text}`,
  };
}
