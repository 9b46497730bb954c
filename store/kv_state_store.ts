/**
 * The state store on Deno KV (a local SQLite file, or `:memory:` in tests). Subject
 * updates are optimistic transactions: read with a versionstamp, `check` it in an atomic
 * commit, retry on conflict — so exactly one of many concurrent verifications of a code
 * can move the replay mark.
 *
 * Rate-limit buckets stay in this process's memory: a KV file serves one process only
 * (a second writer gets "database is locked"), so memory is just as shared and needs no
 * disk write per request.
 *
 * @module
 */
import type {
  StateStore,
  StateUpdate,
  SubjectState,
  TakeTokenOptions,
  TakeTokenResult,
} from "./state_store.ts";
import { leaseKey, rateBucketKey, subjectStateKey } from "./state_keys.ts";
import { KeyedQueue } from "./keyed_queue.ts";
import { type Bucket, bucketFullAt, takeFromBucket } from "./token_bucket.ts";

/** Buckets kept before idle, refilled ones are swept. */
const BUCKET_SWEEP_SIZE = 10_000;
const MAX_ATTEMPTS = 100;

/** A {@linkcode StateStore} on Deno KV. */
export class KvStateStore implements StateStore {
  #kv: Deno.Kv;
  #buckets = new Map<string, Bucket>();
  #queue = new KeyedQueue();

  private constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /** Opens the store at `path` (a file, or `:memory:`). */
  static async open(path: string): Promise<KvStateStore> {
    return new KvStateStore(await Deno.openKv(path));
  }

  async getSubject(subject: string): Promise<SubjectState | null> {
    return (await this.#kv.get<SubjectState>(subjectStateKey(subject))).value;
  }

  updateSubject<T>(
    subject: string,
    update: (current: SubjectState | null) => StateUpdate<T>,
  ): Promise<T> {
    // Updates of one subject run one after another in this process, so concurrent
    // verifications queue instead of colliding and retrying; the versionstamp check still
    // guards against any other writer of the file.
    return this.#queue.run(subject, () => this.#update(subject, update));
  }

  async #update<T>(
    subject: string,
    update: (current: SubjectState | null) => StateUpdate<T>,
  ): Promise<T> {
    const key = subjectStateKey(subject);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#kv.get<SubjectState>(key);
      const { state, result } = update(current.value);
      if (state === null) return result;
      const commit = await this.#kv.atomic().check(current).set(key, state).commit();
      if (commit.ok) return result;
    }
    throw new Error("The state store stayed contended; giving up");
  }

  async getRecord<T>(key: readonly string[]): Promise<T | null> {
    return (await this.#kv.get<T>([...key])).value;
  }

  async setRecord<T>(
    key: readonly string[],
    value: T,
    options: { ifAbsent?: boolean } = {},
  ): Promise<boolean> {
    if (!options.ifAbsent) {
      await this.#kv.set([...key], value);
      return true;
    }
    const commit = await this.#kv.atomic().check({ key: [...key], versionstamp: null })
      .set([...key], value).commit();
    return commit.ok;
  }

  async deleteRecord(key: readonly string[]): Promise<boolean> {
    const current = await this.#kv.get([...key]);
    if (current.versionstamp === null) return false;
    await this.#kv.delete([...key]);
    return true;
  }

  async listRecords<T>(
    prefix: readonly string[],
    options: { limit: number; cursor?: string },
  ): Promise<{ items: T[]; cursor: string | null }> {
    const iterator = this.#kv.list<T>(
      { prefix: [...prefix] },
      { limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) },
    );
    const items: T[] = [];
    for await (const entry of iterator) items.push(entry.value);
    return {
      items,
      cursor: items.length === options.limit && iterator.cursor ? iterator.cursor : null,
    };
  }

  async deleteSubject(subject: string): Promise<void> {
    await this.#kv.delete(subjectStateKey(subject));
  }

  takeToken(client: string, options: TakeTokenOptions): Promise<TakeTokenResult> {
    const key = rateBucketKey(client).join("/");
    const { bucket, allowed, retryAfterMs } = takeFromBucket(
      this.#buckets.get(key) ?? null,
      options,
    );
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > BUCKET_SWEEP_SIZE) this.#sweep(options);
    return Promise.resolve({ allowed, retryAfterMs });
  }

  /** Drops buckets that have refilled: they are equal to a missing one. */
  #sweep(options: TakeTokenOptions): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucketFullAt(bucket, options) <= options.now) this.#buckets.delete(key);
    }
  }

  async tryLease(name: string, ttlMs: number): Promise<boolean> {
    const key = leaseKey(name);
    const commit = await this.#kv.atomic().check({ key, versionstamp: null })
      .set(key, Date.now(), { expireIn: ttlMs }).commit();
    return commit.ok;
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
    this.#kv.close();
  }
}
