/**
 * A real redis-server for tests: the one at `REDIS_URL` when CI started one, else a
 * private one on a free port with persistence off, stopped when the test run ends.
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
  kill(): void;
  stop(): Promise<void>;
}

/** Starts redis-server on a free loopback port with persistence off. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = freePort();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("redis-server", {
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
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
        kill: () => child.kill("SIGKILL"),
        async stop() {
          child.kill("SIGTERM");
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
