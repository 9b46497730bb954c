/**
 * The HTTP listener, kept alive. When `accept()` fails (EMFILE: every file descriptor the
 * process may hold is in use), Deno's serve loop ends and its `finished` promise rejects;
 * unhandled, that rejection kills the process, so 300 idle connections under
 * `ulimit -n 256` used to stop the service for good. Here the failure is caught, logged
 * once, and the listener restarted (with growing pauses while it keeps failing), so the
 * service answers again as soon as descriptors are free. Restarting also drops the idle
 * connections the old listener held, which frees descriptors by itself.
 *
 * Shutdown waits for requests in flight, but only up to a deadline: a slow client must
 * not hold a SIGTERM (and `docker compose down`) hostage.
 *
 * Header timeouts and per-client connection limits are not something Deno.serve offers;
 * they belong to the reverse proxy (docs/operations.md gives the nginx settings).
 *
 * @module
 */
import type { Logger } from "../observability/logger.ts";

/** Options for {@linkcode serveResilient}. */
export interface ServeResilientOptions {
  hostname: string;
  port: number;
  logger: Logger;
  /** Pauses between attempts to listen again, the last one repeated. @default {[50, 250, 1000, 2000, 5000]} */
  retryDelaysMs?: readonly number[];
  /** Shortest time between two logged listener failures. @default {60_000} */
  logIntervalMs?: number;
  /** Starts one listener; tests replace it. @default {Deno.serve} */
  serve?: (options: Deno.ServeTcpOptions, handler: Deno.ServeHandler) => Deno.HttpServer;
}

/** A listener that restarts itself. */
export interface ResilientServer {
  /** How many times the listener was restarted. */
  readonly restarts: number;
  /**
   * Stops listening and waits for the requests in flight, at most `graceMs`.
   *
   * @returns `true` when every request finished in time
   */
  shutdown(graceMs: number): Promise<boolean>;
}

const DEFAULT_RETRY_DELAYS_MS = [50, 250, 1000, 2000, 5000];

/**
 * Listens and serves `handler`.
 *
 * @throws the first listen's error (`Deno.errors.AddrInUse` and the like): a start that
 *   cannot listen must fail, not retry
 */
export function serveResilient(
  handler: Deno.ServeHandler,
  options: ServeResilientOptions,
): ResilientServer {
  const { logger, hostname, port } = options;
  const serve = options.serve ?? Deno.serve;
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const logIntervalMs = options.logIntervalMs ?? 60_000;
  let stopping = false;
  let restarts = 0;
  let lastLoggedAt = -Infinity;
  let unlogged = 0;
  let reportRecovery = false;
  let current = listen();

  // Says nothing when it listens: the caller logs "Listening" once the app is ready.
  function listen(): Deno.HttpServer {
    const server = serve({ hostname, port, onListen: () => {} }, handler);
    server.finished.catch((error) => failed(server, error));
    return server;
  }

  function failed(server: Deno.HttpServer, error: unknown): void {
    if (stopping) return;
    const now = performance.now();
    if (now - lastLoggedAt >= logIntervalMs) {
      logger.error(
        "The listener stopped accepting connections and is being restarted; if this is " +
          '"Too many open files", raise the limit (ulimit -n, or ulimits.nofile in compose.yaml) ' +
          "and limit connections per client in the reverse proxy",
        { error: describe(error), restartsSinceLastReport: unlogged },
      );
      lastLoggedAt = now;
      unlogged = 0;
      reportRecovery = true;
    } else {
      unlogged++;
    }
    // Closes the failed listener at once and its idle connections; requests in flight finish.
    server.shutdown().catch(() => {});
    retry(0);
  }

  function retry(attempt: number): void {
    setTimeout(() => {
      if (stopping) return;
      try {
        current = listen();
        restarts++;
        if (reportRecovery) {
          logger.info("Listening again", { host: hostname, port, attempts: attempt + 1 });
          reportRecovery = false;
        }
      } catch {
        // Still no descriptor for a socket, or the old one not yet released.
        retry(attempt + 1);
      }
    }, delays[Math.min(attempt, delays.length - 1)]);
  }

  return {
    get restarts() {
      return restarts;
    },
    async shutdown(graceMs) {
      stopping = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      });
      try {
        return await Promise.race([current.shutdown().then(() => true), deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** One line for a listen that failed at start: what is wrong, and what to do. */
export function listenErrorMessage(error: unknown, hostname: string, port: number): string {
  if (error instanceof Deno.errors.AddrInUse) {
    return `PORT ${port} on ${hostname} is already in use: stop the other process, or set PORT to a free port`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `Not allowed to listen on ${hostname}:${port}: ports below 1024 need privileges; set PORT to 1024 or above`;
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return `HOST ${hostname} is not an address of this machine: set HOST to 0.0.0.0, 127.0.0.1 or one of its addresses`;
  }
  return `Cannot listen on ${hostname}:${port} (HOST, PORT): ${describe(error)}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
