/**
 * One Redis connection that answers fast when Redis does not, and heals by itself:
 *
 * - no offline queue: while the connection is down a command fails at once instead of
 *   waiting for a reconnect that may never come;
 * - every command has a deadline (1 s by default); a command that misses it marks the
 *   connection as hanging, and until a probe `PING` answers again every command fails at
 *   once, so a frozen Redis costs one slow request, not one per request;
 * - reconnects retry every 50 ms to 0.5 s for as long as the process runs, and after three
 *   unanswered probes the connection is replaced (a silent network partition never closes
 *   a socket by itself).
 *
 * Every failure is a {@linkcode StateStoreUnavailableError}, except Redis's answers that
 * mean a bug (a wrong type, a broken script), which are thrown as they are.
 *
 * @module
 */
import { createClient, ErrorReply } from "redis";
import type { Logger } from "../observability/logger.ts";
import { StateStoreUnavailableError } from "./state_store.ts";

/** The client type of node-redis. */
export type RedisClient = ReturnType<typeof createClient>;

/** Redis error replies that mean "not now" rather than a bug. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|OOM|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;
/** Probes that may go unanswered before the connection is replaced. */
const PROBES_BEFORE_REPLACING = 3;

/** Options for {@linkcode RedisConnection.open}. */
export interface RedisConnectionOptions {
  /** Deadline of a connection attempt and of each command, in milliseconds. @default {1000} */
  timeoutMs?: number;
  /** How long `open` keeps trying before it gives up, in milliseconds. @default {5000} */
  startTimeoutMs?: number;
  /** Interval of the probes while Redis hangs, in milliseconds. @default {250} */
  probeIntervalMs?: number;
  /** Where losing and regaining the connection is reported. */
  logger?: Logger;
}

type ResolvedOptions = Required<Omit<RedisConnectionOptions, "logger">> & {
  logger?: Logger | undefined;
};

class CommandTimeout extends Error {
  override name = "CommandTimeout";
}

/** A self-healing connection; see the module documentation. */
export class RedisConnection {
  #url: string;
  #options: ResolvedOptions;
  #client: RedisClient;
  #hanging = false;
  #probing = false;
  #closed = false;
  #lost = false;

  private constructor(url: string, options: ResolvedOptions) {
    this.#url = url;
    this.#options = options;
    this.#client = null as unknown as RedisClient; // set by open() before anyone sees it
  }

  /**
   * Connects to `url` (`redis://[user:password@]host:port[/db]` or `rediss://`).
   *
   * @throws {StateStoreUnavailableError} when no connection succeeds within `startTimeoutMs`
   */
  static async open(url: string, options: RedisConnectionOptions = {}): Promise<RedisConnection> {
    const resolved: ResolvedOptions = {
      timeoutMs: options.timeoutMs ?? 1000,
      startTimeoutMs: options.startTimeoutMs ?? 5000,
      probeIntervalMs: options.probeIntervalMs ?? 250,
      logger: options.logger,
    };
    const connection = new RedisConnection(url, resolved);
    connection.#client = await connection.#connect(Date.now() + resolved.startTimeoutMs);
    return connection;
  }

  /** Whether commands can be sent now. */
  get ready(): boolean {
    return !this.#closed && this.#client.isReady && !this.#hanging;
  }

  /**
   * Runs `command` on the connection with a deadline.
   *
   * @throws {StateStoreUnavailableError} when Redis is down, hangs or misses the deadline
   */
  async run<T>(
    command: (client: RedisClient) => Promise<T>,
    timeoutMs = this.#options.timeoutMs,
  ): Promise<T> {
    if (!this.ready) {
      throw new StateStoreUnavailableError({ cause: new Error("Redis is not connected") });
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        command(this.#client),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new CommandTimeout("No reply in time")), timeoutMs);
        }),
      ]);
    } catch (cause) {
      if (cause instanceof CommandTimeout) this.#startProbing();
      if (cause instanceof ErrorReply && !TRANSIENT_REPLY.test(cause.message)) throw cause;
      throw new StateStoreUnavailableError({ cause });
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.#closed = true;
    this.#destroy(this.#client);
  }

  /** A connected client; reconnects by itself for as long as the process runs. */
  async #connect(startDeadline: number): Promise<RedisClient> {
    let connectedOnce = false;
    const client = createClient({
      url: this.#url,
      disableOfflineQueue: true,
      // Bounds the memory held by commands waiting on a frozen Redis.
      commandsQueueMaxLength: 10_000,
      socket: {
        connectTimeout: this.#options.timeoutMs,
        reconnectStrategy: (retries, cause) => {
          if (!connectedOnce && Date.now() > startDeadline) return cause;
          return Math.min(50 * 2 ** retries, 500) + Math.floor(Math.random() * 50);
        },
      },
    });
    client.on("error", (error: Error) => {
      if (!connectedOnce || this.#lost || this.#closed) return;
      this.#lost = true;
      this.#options.logger?.warn("Lost the Redis connection; reconnecting", {
        error: error.name,
      });
    });
    client.on("ready", () => {
      if (this.#lost) this.#options.logger?.info("Redis connection restored");
      this.#lost = false;
    });
    try {
      await client.connect();
    } catch (cause) {
      this.#destroy(client);
      throw new StateStoreUnavailableError({ cause });
    }
    connectedOnce = true;
    return client;
  }

  /** Probes a hanging Redis until it answers, replacing the connection if it stays silent. */
  #startProbing(): void {
    this.#hanging = true;
    if (this.#probing || this.#closed) return;
    this.#probing = true;
    this.#options.logger?.warn("Redis did not answer in time; probing", {
      timeoutMs: this.#options.timeoutMs,
    });
    (async () => {
      let unanswered = 0;
      while (!this.#closed) {
        await new Promise((resolve) => setTimeout(resolve, this.#options.probeIntervalMs));
        const client = this.#client;
        // A closed socket is the reconnect logic's job: commands fail fast until it is back.
        if (!client.isReady) break;
        try {
          const reply = await Promise.race([
            client.ping(),
            new Promise<never>((_, reject) =>
              setTimeout(() => reject(new CommandTimeout("No reply")), this.#options.timeoutMs)
            ),
          ]);
          if (reply === "PONG") break;
        } catch {
          unanswered += 1;
        }
        if (unanswered >= PROBES_BEFORE_REPLACING) {
          unanswered = 0;
          await this.#replace();
        }
      }
      this.#probing = false;
      if (!this.#closed) {
        this.#hanging = false;
        this.#options.logger?.info("Redis answers again");
      }
    })();
  }

  /** Drops the silent connection (failing what waits on it) for a fresh one. */
  async #replace(): Promise<void> {
    const old = this.#client;
    try {
      this.#client = await this.#connect(Number.POSITIVE_INFINITY);
      this.#destroy(old);
    } catch {
      // Keep the old one and probe again.
    }
  }

  #destroy(client: RedisClient | undefined): void {
    try {
      client?.destroy();
    } catch {
      // already closed
    }
  }
}
