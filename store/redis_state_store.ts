/**
 * The state store on Redis, for several replicas sharing one state. Every operation that
 * must be atomic across replicas is: subject updates are optimistic transactions
 * (`WATCH` / `MULTI` / `EXEC`, retried when another replica wrote first) on connections
 * reserved for them, record writes with their list index and the token bucket are Lua
 * scripts, leases are `SET NX PX`. Within one process, updates of a subject also queue,
 * so concurrent requests do not make each other retry.
 *
 * @module
 */
import { createClient, WatchError } from "redis";
import type {
  StateStore,
  StateUpdate,
  SubjectState,
  TakeTokenOptions,
  TakeTokenResult,
} from "./state_store.ts";
import { flatKey, leaseKey, rateBucketKey, subjectStateKey } from "./state_keys.ts";
import { KeyedQueue } from "./keyed_queue.ts";

type Client = ReturnType<typeof createClient>;

const MAX_ATTEMPTS = 100;

/** SET the record and index its last key part in the prefix's sorted set. */
const SET_RECORD = `
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
return 1`;

const DELETE_RECORD = `
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])`;

/** The token bucket of token_bucket.ts, atomically in Redis: returns {allowed, retryAfterMs}. */
const TAKE_TOKEN = `
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then tokens = capacity; at = now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * refill)
local allowed = 0
local retry = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 else retry = math.ceil((1 - tokens) / refill) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / refill) + 1000)
return {allowed, retry}`;

/** Options for {@linkcode RedisStateStore.open}. */
export interface RedisStateStoreOptions {
  /** Connections reserved for transactions. @default {4} */
  transactionConnections?: number;
  /** Key prefix. @default {"pki2fa"} */
  prefix?: string;
}

/** A {@linkcode StateStore} on Redis. */
export class RedisStateStore implements StateStore {
  #client: Client;
  #idle: Client[];
  #waiting: ((client: Client) => void)[] = [];
  #queue = new KeyedQueue();
  #prefix: string;

  private constructor(client: Client, pool: Client[], prefix: string) {
    this.#client = client;
    this.#idle = pool;
    this.#prefix = prefix;
  }

  /** Connects to `url` (`redis://host:port/db`). */
  static async open(url: string, options: RedisStateStoreOptions = {}): Promise<RedisStateStore> {
    const client = createClient({ url });
    // A failing connection is reported by the calls that need it, not as an unhandled event.
    client.on("error", () => {});
    await client.connect();
    const pool = await Promise.all(
      Array.from({ length: options.transactionConnections ?? 4 }, async () => {
        const connection = client.duplicate();
        connection.on("error", () => {});
        await connection.connect();
        return connection;
      }),
    );
    return new RedisStateStore(client, pool, options.prefix ?? "pki2fa");
  }

  #key(parts: readonly string[]): string {
    return flatKey(parts, this.#prefix);
  }

  async #withConnection<T>(task: (connection: Client) => Promise<T>): Promise<T> {
    const connection = this.#idle.pop() ??
      await new Promise<Client>((resolve) => this.#waiting.push(resolve));
    try {
      return await task(connection);
    } finally {
      const next = this.#waiting.shift();
      if (next) next(connection);
      else this.#idle.push(connection);
    }
  }

  async getSubject(subject: string): Promise<SubjectState | null> {
    const text = await this.#client.get(this.#key(subjectStateKey(subject)));
    return text === null ? null : JSON.parse(text);
  }

  updateSubject<T>(
    subject: string,
    update: (current: SubjectState | null) => StateUpdate<T>,
  ): Promise<T> {
    const key = this.#key(subjectStateKey(subject));
    return this.#queue.run(subject, () =>
      this.#withConnection(async (connection) => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          await connection.watch(key);
          const text = await connection.get(key);
          const { state, result } = update(text === null ? null : JSON.parse(text));
          if (state === null) {
            await connection.unwatch();
            return result;
          }
          try {
            await connection.multi().set(key, JSON.stringify(state)).exec();
            return result;
          } catch (error) {
            // Another replica wrote the subject first: read it again.
            if (!(error instanceof WatchError)) throw error;
          }
        }
        throw new Error("The state store stayed contended; giving up");
      }));
  }

  async deleteSubject(subject: string): Promise<void> {
    await this.#client.del(this.#key(subjectStateKey(subject)));
  }

  async getRecord<T>(key: readonly string[]): Promise<T | null> {
    const text = await this.#client.get(this.#key(key));
    return text === null ? null : JSON.parse(text);
  }

  async setRecord<T>(
    key: readonly string[],
    value: T,
    options: { ifAbsent?: boolean } = {},
  ): Promise<boolean> {
    const written = await this.#client.eval(SET_RECORD, {
      keys: [this.#key(key), this.#indexKey(key)],
      arguments: [JSON.stringify(value), key.at(-1)!, options.ifAbsent ? "1" : "0"],
    });
    return written === 1;
  }

  async deleteRecord(key: readonly string[]): Promise<boolean> {
    const deleted = await this.#client.eval(DELETE_RECORD, {
      keys: [this.#key(key), this.#indexKey(key)],
      arguments: [key.at(-1)!],
    });
    return deleted === 1;
  }

  /** The sorted set that lists the records under a key's prefix, in key order. */
  #indexKey(key: readonly string[]): string {
    return this.#key([...key.slice(0, -1), "_index"]);
  }

  async listRecords<T>(
    prefix: readonly string[],
    options: { limit: number; cursor?: string },
  ): Promise<{ items: T[]; cursor: string | null }> {
    const index = this.#key([...prefix, "_index"]);
    const start = options.cursor === undefined ? "-" : `(${options.cursor}`;
    const members = await this.#client.zRangeByLex(index, start, "+", {
      LIMIT: { offset: 0, count: options.limit },
    });
    if (members.length === 0) return { items: [], cursor: null };
    const texts = await this.#client.mGet(members.map((m) => this.#key([...prefix, m])));
    const items = texts.filter((t): t is string => t !== null).map((t) => JSON.parse(t) as T);
    return { items, cursor: members.length === options.limit ? members.at(-1)! : null };
  }

  async takeToken(client: string, options: TakeTokenOptions): Promise<TakeTokenResult> {
    const [allowed, retry] = await this.#client.eval(TAKE_TOKEN, {
      keys: [this.#key(rateBucketKey(client))],
      arguments: [String(options.capacity), String(options.refillPerMs), String(options.now)],
    }) as [number, number];
    return { allowed: allowed === 1, retryAfterMs: retry };
  }

  async tryLease(name: string, ttlMs: number): Promise<boolean> {
    const set = await this.#client.set(this.#key(leaseKey(name)), "1", { NX: true, PX: ttlMs });
    return set === "OK";
  }

  async ping(): Promise<boolean> {
    try {
      return await this.#client.ping() === "PONG";
    } catch {
      return false;
    }
  }

  close(): void {
    for (const connection of [this.#client, ...this.#idle]) connection.destroy();
  }
}
