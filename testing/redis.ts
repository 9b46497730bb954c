/**
 * A real redis-server for tests: the one at `REDIS_URL` when CI started one, else a
 * private one on a free port with persistence off, stopped when the test run ends. Outage
 * tests start their own, to stop, freeze and restart it.
 *
 * @module
 */
import { freePort } from "./server_process.ts";

let started: Promise<string> | undefined;

/** The URL of a Redis server tests may use (each test takes its own database or prefix). */
export function redisUrl(): Promise<string> {
  const fromEnv = Deno.env.get("REDIS_URL");
  if (fromEnv) return Promise.resolve(fromEnv);
  return started ??= startRedisServer().then((server) => {
    globalThis.addEventListener("unload", () => server.kill());
    return server.url;
  });
}

/** A started redis-server. */
export interface RedisServer {
  url: string;
  port: number;
  kill(): void;
  /** Sends a signal: `SIGSTOP` freezes Redis with its connections open, `SIGCONT` resumes. */
  signal(signal: Deno.Signal): void;
  stop(): Promise<void>;
}

/** Options for {@linkcode startRedisServer}. */
export interface StartRedisServerOptions {
  /** The port, to start a server again where clients expect it. @default {a free port} */
  port?: number;
  /**
   * A folder for an append-only file written on every command, so a restarted server
   * has every key back. @default {persistence off}
   */
  dir?: string;
  /**
   * More redis-server arguments (`--requirepass`, `--tls-*`). With `--tls-cert-file` among
   * them, `port` is the TLS port and the plain port is off. @default {[]}
   */
  args?: string[];
}

/** Starts redis-server on a loopback port. */
export async function startRedisServer(
  options: StartRedisServerOptions = {},
): Promise<RedisServer> {
  const port = options.port ?? freePort();
  const persistence = options.dir
    ? ["--dir", options.dir, "--appendonly", "yes", "--appendfsync", "always"]
    : ["--appendonly", "no"];
  const extra = options.args ?? [];
  const tls = extra.includes("--tls-cert-file");
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("redis-server", {
      args: [
        ...(tls ? ["--port", "0", "--tls-port", String(port)] : ["--port", String(port)]),
        ...["--bind", "127.0.0.1", "--save", "", ...persistence, ...extra],
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error('"redis-server" is not installed: apt-get install -y redis-server');
    }
    throw error;
  }
  child.unref();
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        kill: () => child.kill("SIGKILL"),
        signal: (signal) => child.kill(signal),
        async stop() {
          // Waited for here, so the wait must keep the test alive (the child is unref'd).
          child.ref();
          try {
            child.kill("SIGTERM");
          } catch {
            // already exited
          }
          await child.status;
        },
      };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  child.kill("SIGKILL");
  throw new Error("redis-server did not start");
}
