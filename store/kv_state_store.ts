/**
 * The state store on Deno KV (a local SQLite file, or `:memory:` in tests), for one process.
 * A verification is one read and one checked atomic commit, shared by every verification
 * that arrived while the previous commit was in flight (store/kv_verification_batch.ts):
 * the commit checks the versions read (the seeds' states, the guarded records), so exactly
 * one of many concurrent verifications of a code can move the replay mark, and no
 * per-subject queue is needed.
 *
 * Rate-limit buckets stay in this process's memory: a KV file serves one process only (a
 * second writer gets "database is locked"), so memory is just as shared and needs no disk
 * write per request. Any KV failure (a disk error, a closed or corrupt file) surfaces as
 * {@linkcode StateStoreUnavailableError}.
 *
 * @module
 */
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
import { leaseKey, legacyStateKey, verificationKey } from "./state_keys.ts";
import { KvVerificationBatch } from "./kv_verification_batch.ts";
import type { RecordedRecovery, RecoveryAttempt } from "./recovery_rules.ts";
import {
  countRecoveryCodesKv,
  setRecoveryCodesKv,
  useRecoveryCodeKv,
} from "./kv_recovery_codes.ts";
import { MemoryBuckets } from "./memory_buckets.ts";

/** Checked commits that lose to concurrent writers before an unlock or a renewal gives up. */
const MAX_RESET_ATTEMPTS = 100;

/** What an unlock writes over a seed's state: no failures, no lock, no lock level. */
const UNLOCKED = Object.freeze({ failures: 0, lockLevel: 0, lockedUntil: 0 });

/** Whether a seed's state holds anything an unlock clears. */
function holdsFailures(state: VerificationState): boolean {
  return state.failures !== 0 || state.lockLevel !== 0 || state.lockedUntil !== 0;
}

/** Marks the file as migrated to per-seed verification states. */
const MIGRATED_KEY = ["migrations", "verification-per-seed"];

/** Compare-and-set rounds of `updateRecord` before it gives up. */
const MAX_UPDATE_ATTEMPTS = 100;

/** A {@linkcode StateStore} on Deno KV. */
export class KvStateStore implements StateStore {
  #kv: Deno.Kv;
  #buckets = new MemoryBuckets();
  #verifications: KvVerificationBatch;
  #closed = false;

  private constructor(kv: Deno.Kv) {
    this.#kv = kv;
    this.#verifications = new KvVerificationBatch(kv);
  }

  /** Opens the store at `path` (a file, or `:memory:`). */
  static async open(path: string): Promise<KvStateStore> {
    const store = new KvStateStore(await Deno.openKv(path));
    await store.#migrateLegacyStates();
    return store;
  }

  /** Runs a KV operation; any failure of the file becomes the store's one error. */
  async #call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (cause) {
      if (cause instanceof RangeError) throw cause;
      throw new StateStoreUnavailableError({ cause });
    }
  }

  getVerification(subject: string, seedId: string): Promise<VerificationState | null> {
    return this.#call(async () =>
      (await this.#kv.get<VerificationState>([...verificationKey(subject), seedId])).value
    );
  }

  recordVerification(attempt: VerificationAttempt): Promise<RecordedVerification> {
    return this.#call(() => this.#verifications.record(attempt));
  }

  deleteSubject(subject: string): Promise<void> {
    return this.#call(async () => {
      const keys = [legacyStateKey(subject)];
      for await (const entry of this.#kv.list({ prefix: verificationKey(subject) })) {
        keys.push(entry.key as [string, string, string]);
      }
      for (let i = 0; i < keys.length; i += 10) {
        const batch = this.#kv.atomic();
        for (const key of keys.slice(i, i + 10)) batch.delete(key);
        await batch.commit();
      }
    });
  }

  resetFailures(subject: string): Promise<number> {
    return this.#call(async () => {
      // A verification committing meanwhile changes a version checked here: read and try again.
      for (let attempt = 0; attempt < MAX_RESET_ATTEMPTS; attempt++) {
        const held: Deno.KvEntry<VerificationState>[] = [];
        for await (
          const entry of this.#kv.list<VerificationState>({ prefix: verificationKey(subject) })
        ) {
          if (holdsFailures(entry.value)) held.push(entry);
        }
        if (held.length === 0) return 0;
        const commit = this.#kv.atomic();
        for (const entry of held) {
          commit.check(entry).set(entry.key, { ...entry.value, ...UNLOCKED });
        }
        if ((await commit.commit()).ok) return held.length;
      }
      throw new Error("The subject's state kept changing during the unlock");
    });
  }

  setRecoveryCodes(subject: string, digests: readonly string[]): Promise<void> {
    return this.#call(() => setRecoveryCodesKv(this.#kv, subject, digests));
  }

  countRecoveryCodes(subject: string): Promise<number> {
    return this.#call(() => countRecoveryCodesKv(this.#kv, subject));
  }

  useRecoveryCode(attempt: RecoveryAttempt): Promise<RecordedRecovery> {
    return this.#call(() => useRecoveryCodeKv(this.#kv, attempt));
  }

  getRecord<T>(key: readonly string[]): Promise<T | null> {
    return this.#call(async () => (await this.#kv.get<T>([...key])).value);
  }

  getRecordVersioned<T>(key: readonly string[]): Promise<{ value: T; version: string } | null> {
    return this.#call(async () => {
      const entry = await this.#kv.get<T>([...key]);
      return entry.versionstamp === null
        ? null
        : { value: entry.value as T, version: entry.versionstamp };
    });
  }

  setRecord<T>(
    key: readonly string[],
    value: T,
    options: { ifAbsent?: boolean } = {},
  ): Promise<boolean> {
    return this.#call(async () => {
      if (!options.ifAbsent) {
        await this.#kv.set([...key], value);
        return true;
      }
      const commit = await this.#kv.atomic().check({ key: [...key], versionstamp: null })
        .set([...key], value).commit();
      return commit.ok;
    });
  }

  updateRecord<T, R>(
    key: readonly string[],
    update: (current: T | null) => RecordUpdate<T, R>,
  ): Promise<R> {
    return this.#call(async () => {
      for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
        const current = await this.#kv.get<T>([...key]);
        const { value, result } = update(current.value);
        if (value === null) return result;
        // Committed only if the versionstamp read is still current.
        const commit = await this.#kv.atomic().check(current).set([...key], value).commit();
        if (commit.ok) return result;
      }
      throw new Error("The state store stayed contended; giving up");
    });
  }

  setExpiringRecord<T>(
    key: readonly string[],
    value: T,
    ttlMs: number,
    options: { ifAbsent?: boolean; ifPresent?: boolean } = {},
  ): Promise<boolean> {
    return this.#call(async () => {
      if (!options.ifPresent) {
        const commit = this.#kv.atomic();
        if (options.ifAbsent) commit.check({ key: [...key], versionstamp: null });
        return (await commit.set([...key], value, { expireIn: ttlMs }).commit()).ok;
      }
      // Present means present now: another write in between (a concurrent renewal) is read
      // again, and only a removal makes this one fail.
      for (let attempt = 0; attempt < MAX_RESET_ATTEMPTS; attempt++) {
        const { versionstamp } = await this.#kv.get([...key]);
        if (versionstamp === null) return false;
        const commit = await this.#kv.atomic().check({ key: [...key], versionstamp })
          .set([...key], value, { expireIn: ttlMs }).commit();
        if (commit.ok) return true;
      }
      throw new Error("The record kept changing during the write");
    });
  }

  deleteRecord(key: readonly string[]): Promise<boolean> {
    return this.#call(async () => {
      const current = await this.#kv.get([...key]);
      if (current.versionstamp === null) return false;
      await this.#kv.delete([...key]);
      return true;
    });
  }

  listRecords<T>(
    prefix: readonly string[],
    options: { limit: number; cursor?: string },
  ): Promise<{ items: T[]; cursor: string | null }> {
    const iterator = this.#kv.list<T>(
      { prefix: [...prefix] },
      { limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) },
    );
    return this.#call(async () => {
      const items: T[] = [];
      try {
        for await (const entry of iterator) items.push(entry.value);
      } catch (error) {
        // A cursor the client made up is the client's error, not the store's.
        if (error instanceof TypeError && /cursor/i.test(error.message)) {
          throw new RangeError("Invalid cursor");
        }
        throw error;
      }
      return {
        items,
        cursor: items.length === options.limit && iterator.cursor ? iterator.cursor : null,
      };
    });
  }

  takeToken(client: string, options: TakeTokenOptions): Promise<TakeTokenResult> {
    return Promise.resolve(this.#buckets.take(client, options));
  }

  tryLease(name: string, ttlMs: number): Promise<boolean> {
    const key = leaseKey(name);
    return this.#call(async () =>
      (await this.#kv.atomic().check({ key, versionstamp: null })
        .set(key, Date.now(), { expireIn: ttlMs }).commit()).ok
    );
  }

  async ping(): Promise<boolean> {
    try {
      await this.#kv.get(["ping"]);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#kv.close();
  }

  /**
   * Moves each subject's single pre-upgrade state (`[subjects, id, state]`, holding its seed
   * id) to its per-seed key, once per file, so replay marks and locks survive the upgrade.
   */
  async #migrateLegacyStates(): Promise<void> {
    if ((await this.#kv.get(MIGRATED_KEY)).versionstamp !== null) return;
    for await (
      const entry of this.#kv.list<VerificationState & { seedId: string }>({
        prefix: ["subjects"],
      })
    ) {
      const [, subject, kind] = entry.key;
      if (entry.key.length !== 3 || kind !== "state" || typeof subject !== "string") continue;
      const { seedId, lastStep, failures, lockLevel, lockedUntil } = entry.value;
      const key = [...verificationKey(subject), seedId];
      await this.#kv.atomic().check({ key, versionstamp: null })
        .set(key, { lastStep, failures, lockLevel, lockedUntil }).commit();
      await this.#kv.delete(entry.key);
    }
    await this.#kv.set(MIGRATED_KEY, true);
  }
}
