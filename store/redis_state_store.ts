/**
 * The state store on Redis, for several replicas sharing one state. Every operation that
 * must be atomic across replicas is one command or one Lua script (store/redis_scripts.ts):
 * a verification — guard, lock, replay mark and the new state — is a single `EVALSHA`, so
 * it costs one round trip and needs no lock, no `WATCH` and no queue in this process.
 *
 * Verification states live in one hash per subject with a field per seed id. The connection
 * (store/redis_connection.ts) fails fast while Redis is down or hangs and heals by itself.
 *
 * Rate limiting while Redis does not answer (within 250 ms) falls back to a bucket per
 * client in this process's memory: each replica keeps limiting at the configured rate on its
 * own, rather than letting everything through (fail open) or refusing everyone (fail closed).
 *
 * @module
 */
import type { Logger } from "../observability/logger.ts";
import {
  type RecordUpdate,
  type StateStore,
  StateStoreUnavailableError,
  type TakeTokenOptions,
  type TakeTokenResult,
} from "./state_store.ts";
import type {
  RecordedVerification,
  VerificationAttempt,
  VerificationState,
} from "./verification_rules.ts";
import {
  flatKey,
  leaseKey,
  legacyStateKey,
  rateBucketKey,
  recoveryCodesKey,
  verificationKey,
} from "./state_keys.ts";
import type { RecordedRecovery, RecoveryAttempt } from "./recovery_rules.ts";
import { SET_RECOVERY_CODES, USE_RECOVERY_CODE } from "./redis_recovery_scripts.ts";
import { MemoryBuckets } from "./memory_buckets.ts";
import { type RedisClient, RedisConnection } from "./redis_connection.ts";
import {
  DELETE_RECORD,
  MIGRATE_STATE,
  type RedisScript,
  RESET_FAILURES,
  SET_RECORD,
  SWAP_RECORD,
  TAKE_TOKEN,
  VERIFY,
} from "./redis_scripts.ts";

/** Compare-and-set rounds of `updateRecord` before it gives up. */
const MAX_UPDATE_ATTEMPTS = 100;

/** Longest wait for the shared rate-limit bucket before the local one decides. */
const RATE_LIMIT_TIMEOUT_MS = 250;

/** Options for {@linkcode RedisStateStore.open}. */
export interface RedisStateStoreOptions {
  /** Key prefix. @default {"pki2fa"} */
  prefix?: string;
  /** Deadline of each command and connection attempt, in milliseconds. @default {1000} */
  timeoutMs?: number;
  /** How long opening keeps trying to connect, in milliseconds. @default {5000} */
  startTimeoutMs?: number;
  /** Where losing and regaining Redis is reported. */
  logger?: Logger;
}

/** Runs a script by SHA-1, sending its source only when Redis does not know it yet. */
async function evalScript(
  client: RedisClient,
  script: RedisScript,
  keys: string[],
  args: string[],
): Promise<unknown> {
  try {
    return await client.evalSha(script.sha1, { keys, arguments: args });
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return await client.eval(script.source, { keys, arguments: args });
  }
}

/** A {@linkcode StateStore} on Redis. */
export class RedisStateStore implements StateStore {
  #redis: RedisConnection;
  #prefix: string;
  #localBuckets = new MemoryBuckets();

  private constructor(redis: RedisConnection, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  /**
   * Connects to `url` (`redis://host:port/db`, `rediss://` for TLS) and moves state kept in
   * the pre-upgrade layout.
   *
   * @throws {StateStoreUnavailableError} when Redis cannot be reached within `startTimeoutMs`
   */
  static async open(url: string, options: RedisStateStoreOptions = {}): Promise<RedisStateStore> {
    const redis = await RedisConnection.open(url, options);
    const store = new RedisStateStore(redis, options.prefix ?? "pki2fa");
    try {
      await store.#migrateLegacyStates();
    } catch (error) {
      redis.close();
      throw error;
    }
    return store;
  }

  #key(parts: readonly string[]): string {
    return flatKey(parts, this.#prefix);
  }

  #eval(script: RedisScript, keys: string[], args: string[], timeoutMs?: number) {
    return this.#redis.run((client) => evalScript(client, script, keys, args), timeoutMs);
  }

  async getVerification(subject: string, seedId: string): Promise<VerificationState | null> {
    const key = this.#key(verificationKey(subject));
    const text = await this.#redis.run((client) => client.hGet(key, seedId));
    return text === null ? null : JSON.parse(text);
  }

  async recordVerification(attempt: VerificationAttempt): Promise<RecordedVerification> {
    const { policy, guard } = attempt;
    const keys = [this.#key(verificationKey(attempt.subject))];
    if (guard) keys.push(this.#key(guard.key));
    const reply = await this.#eval(VERIFY, keys, [
      attempt.seedId,
      attempt.matchedStep === null ? "" : String(attempt.matchedStep),
      String(attempt.now),
      policy.replayProtection ? "1" : "0",
      String(policy.maxFailures),
      String(policy.baseLockMs),
      String(policy.maxLockMs),
      guard ? guard.version : "",
    ]) as [string, number?];
    const [kind, value = 0] = reply;
    switch (kind) {
      case "valid":
      case "replay":
        return { kind, step: value };
      case "locked":
        return { kind, retryAfterMs: value };
      case "invalid":
      case "stale":
      case "missing":
        return { kind };
      default:
        throw new Error("The verification script gave an unknown answer");
    }
  }

  async deleteSubject(subject: string): Promise<void> {
    const keys = [this.#key(verificationKey(subject)), this.#key(legacyStateKey(subject))];
    await this.#redis.run((client) => client.del(keys));
  }

  async resetFailures(subject: string): Promise<number> {
    return await this.#eval(RESET_FAILURES, [this.#key(verificationKey(subject))], []) as number;
  }

  async setRecoveryCodes(subject: string, digests: readonly string[]): Promise<void> {
    await this.#eval(SET_RECOVERY_CODES, [this.#key(recoveryCodesKey(subject))], [...digests]);
  }

  countRecoveryCodes(subject: string): Promise<number> {
    const key = this.#key(recoveryCodesKey(subject));
    return this.#redis.run((client) => client.sCard(key));
  }

  async useRecoveryCode(attempt: RecoveryAttempt): Promise<RecordedRecovery> {
    const { policy, guard } = attempt;
    const keys = [
      this.#key(verificationKey(attempt.subject)),
      this.#key(recoveryCodesKey(attempt.subject)),
    ];
    if (guard) keys.push(this.#key(guard.key));
    const [kind, value = 0] = await this.#eval(USE_RECOVERY_CODE, keys, [
      attempt.seedId,
      attempt.digest,
      String(attempt.now),
      String(policy.maxFailures),
      String(policy.baseLockMs),
      String(policy.maxLockMs),
      guard ? guard.version : "",
    ]) as [string, number?];
    switch (kind) {
      case "valid":
        return { kind, remaining: value };
      case "locked":
        return { kind, retryAfterMs: value };
      case "invalid":
      case "stale":
      case "missing":
        return { kind };
      default:
        throw new Error("The recovery-code script gave an unknown answer");
    }
  }

  async getRecord<T>(key: readonly string[]): Promise<T | null> {
    return (await this.getRecordVersioned<T>(key))?.value ?? null;
  }

  async getRecordVersioned<T>(
    key: readonly string[],
  ): Promise<{ value: T; version: string } | null> {
    const text = await this.#redis.run((client) => client.get(this.#key(key)));
    // The text itself is the version: the verification script compares it in Redis.
    return text === null ? null : { value: JSON.parse(text) as T, version: text };
  }

  async setRecord<T>(
    key: readonly string[],
    value: T,
    options: { ifAbsent?: boolean } = {},
  ): Promise<boolean> {
    const written = await this.#eval(
      SET_RECORD,
      [this.#key(key), this.#indexKey(key)],
      [JSON.stringify(value), key.at(-1)!, options.ifAbsent ? "1" : "0"],
    );
    return written === 1;
  }

  async updateRecord<T, R>(
    key: readonly string[],
    update: (current: T | null) => RecordUpdate<T, R>,
  ): Promise<R> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const text = await this.#redis.run((client) => client.get(this.#key(key)));
      const { value, result } = update(text === null ? null : JSON.parse(text));
      if (value === null) return result;
      // Written only if the record still holds the text read: no other writer came between.
      const swapped = await this.#eval(
        SWAP_RECORD,
        [this.#key(key), this.#indexKey(key)],
        [JSON.stringify(value), key.at(-1)!, text ?? ""],
      );
      if (swapped === 1) return result;
    }
    throw new Error("The state store stayed contended; giving up");
  }

  async setExpiringRecord<T>(
    key: readonly string[],
    value: T,
    ttlMs: number,
    options: { ifAbsent?: boolean; ifPresent?: boolean } = {},
  ): Promise<boolean> {
    const condition = options.ifAbsent ? { NX: true } : options.ifPresent ? { XX: true } : {};
    const text = JSON.stringify(value);
    const flat = this.#key(key);
    return await this.#redis.run((client) =>
      client.set(flat, text, { PX: Math.max(1, Math.ceil(ttlMs)), ...condition })
    ) === "OK";
  }

  async deleteRecord(key: readonly string[]): Promise<boolean> {
    const deleted = await this.#eval(
      DELETE_RECORD,
      [this.#key(key), this.#indexKey(key)],
      [key.at(-1)!],
    );
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
    const members = await this.#redis.run((client) =>
      client.zRangeByLex(index, start, "+", { LIMIT: { offset: 0, count: options.limit } })
    );
    if (members.length === 0) return { items: [], cursor: null };
    const texts = await this.#redis.run((client) =>
      client.mGet(members.map((m) => this.#key([...prefix, m])))
    );
    const items = texts.filter((t): t is string => t !== null).map((t) => JSON.parse(t) as T);
    return { items, cursor: members.length === options.limit ? members.at(-1)! : null };
  }

  async takeToken(client: string, options: TakeTokenOptions): Promise<TakeTokenResult> {
    try {
      const [allowed, retry] = await this.#eval(
        TAKE_TOKEN,
        [this.#key(rateBucketKey(client))],
        [String(options.capacity), String(options.refillPerMs), String(options.now)],
        RATE_LIMIT_TIMEOUT_MS,
      ) as [number, number];
      return { allowed: allowed === 1, retryAfterMs: retry };
    } catch (error) {
      if (!(error instanceof StateStoreUnavailableError)) throw error;
      return this.#localBuckets.take(client, options);
    }
  }

  async tryLease(name: string, ttlMs: number): Promise<boolean> {
    const key = this.#key(leaseKey(name));
    return await this.#redis.run((client) => client.set(key, "1", { NX: true, PX: ttlMs })) ===
      "OK";
  }

  async ping(): Promise<boolean> {
    try {
      return await this.#redis.run((client) => client.ping()) === "PONG";
    } catch {
      return false;
    }
  }

  close(): void {
    this.#redis.close();
  }

  /**
   * Moves each subject's pre-upgrade single state (`<prefix>:subjects:<id>:state`) into its
   * seed's field of the per-seed hash, once per database, so replay marks and locks survive.
   */
  async #migrateLegacyStates(): Promise<void> {
    const marker = this.#key(["migrations", "verification-per-seed"]);
    if (await this.#redis.run((client) => client.exists(marker)) === 1) return;
    const pattern = `${this.#key(["subjects"])}:*:state`;
    let cursor = "0";
    do {
      const page = await this.#redis.run((client) =>
        client.scan(cursor, { MATCH: pattern, COUNT: 500 })
      );
      cursor = String(page.cursor);
      for (const legacy of page.keys) {
        const hash = legacy.replace(/:state$/, ":verification");
        await this.#eval(MIGRATE_STATE, [legacy, hash], []);
      }
    } while (cursor !== "0");
    await this.#redis.run((client) => client.set(marker, "1"));
  }
}
