/**
 * The service's security state — per-seed replay marks, failure counters and locks,
 * subject records, rate-limit buckets and leases — behind one small interface, so a single
 * process can keep it in Deno KV and several replicas can share it in Redis.
 *
 * A subject is one TOTP credential; the assignment's endpoints use {@linkcode DEFAULT_SUBJECT}.
 * Verification state is kept per subject *and seed*, so two seeds of one subject (a rotation
 * seen by two replicas at slightly different times) never reset each other's marks.
 *
 * @module
 */
import type { RecordedRecovery, RecoveryAttempt } from "./recovery_rules.ts";
import type {
  RecordedVerification,
  VerificationAttempt,
  VerificationState,
} from "./verification_rules.ts";

/** The subject the assignment's single-seed endpoints act on. */
export const DEFAULT_SUBJECT = "default";

/**
 * The store did not answer (Redis down or too slow, a KV file that cannot be read or
 * written). Routes answer 503 `{"error": "State store unavailable"}`; the cause is logged,
 * never sent.
 */
export class StateStoreUnavailableError extends Error {
  override name = "StateStoreUnavailableError";
  constructor(options?: ErrorOptions) {
    super("State store unavailable", options);
  }
}

/** The new record to store (`null`: unchanged, nothing to write) and the value to return. */
export interface RecordUpdate<T, R> {
  value: T | null;
  result: R;
}

/** Options of a rate-limit token take. */
export interface TakeTokenOptions {
  /** Bucket size: the burst a client may send at once. */
  capacity: number;
  /** Tokens added per millisecond. */
  refillPerMs: number;
  /** The clock, in milliseconds. */
  now: number;
}

/** Whether a request may go ahead, and if not, when the next token arrives. */
export interface TakeTokenResult {
  allowed: boolean;
  retryAfterMs: number;
}

/**
 * Storage of the security state. Every operation is atomic across every process sharing the
 * store, and throws {@linkcode StateStoreUnavailableError} when the store does not answer.
 */
export interface StateStore {
  /** The verification state of one seed of a subject, or `null`. */
  getVerification(subject: string, seedId: string): Promise<VerificationState | null>;
  /**
   * Checks the guard, the lock and the replay mark and records the result, as one atomic
   * step (one round trip on Redis): of many concurrent attempts with the same fresh code,
   * in any process, exactly one is `valid`. The rules are verification_rules.ts's.
   */
  recordVerification(attempt: VerificationAttempt): Promise<RecordedVerification>;
  /** Removes the verification state of every seed of a subject. */
  deleteSubject(subject: string): Promise<void>;
  /**
   * Unlocks a subject: clears the failure count, the lock and its level in the state of every
   * seed of the subject, keeping the replay mark, as one atomic step per store (a concurrent
   * verification either counts before it or after it, never half-way).
   *
   * @returns how many seed states had failures or a lock (0: nothing to clear)
   */
  resetFailures(subject: string): Promise<number>;
  /**
   * Replaces a subject's recovery-code digests (an empty list removes them). They survive
   * {@linkcode deleteSubject}, which a new seed also calls: the user's printed codes stay good.
   */
  setRecoveryCodes(subject: string, digests: readonly string[]): Promise<void>;
  /** How many unused recovery codes a subject has. */
  countRecoveryCodes(subject: string): Promise<number>;
  /**
   * Checks the guard and the lock, uses the code if its digest is unused and counts a
   * failure if not, as one atomic step (one round trip on Redis): of many concurrent uses of
   * one code, in any process, exactly one is `valid`. The rules are recovery_rules.ts's.
   */
  useRecoveryCode(attempt: RecoveryAttempt): Promise<RecordedRecovery>;
  /** A stored record, or `null`. */
  getRecord<T>(key: readonly string[]): Promise<T | null>;
  /**
   * A stored record and a version that changes whenever the record is written, for a
   * {@linkcode RecordGuard} (verification_rules.ts); `null` when there is none.
   */
  getRecordVersioned<T>(key: readonly string[]): Promise<{ value: T; version: string } | null>;
  /** Stores a record; with `ifAbsent`, only when none exists (then `false` if one did). */
  setRecord<T>(
    key: readonly string[],
    value: T,
    options?: { ifAbsent?: boolean },
  ): Promise<boolean>;
  /**
   * Stores a value that the store drops `ttlMs` after this write (console sessions), under a
   * prefix of its own (it is not for {@linkcode listRecords}); read with
   * {@linkcode getRecord}, removed with {@linkcode deleteRecord}. With
   * `ifAbsent`, only when none exists; with `ifPresent`, only when one still exists (so a
   * late write never brings back a deleted value). `false` when nothing was written. The
   * expiry is housekeeping: a caller that needs an exact deadline keeps its own time inside.
   */
  setExpiringRecord<T>(
    key: readonly string[],
    value: T,
    ttlMs: number,
    options?: { ifAbsent?: boolean; ifPresent?: boolean },
  ): Promise<boolean>;
  /**
   * Reads, transforms and writes a record as one atomic step across every process sharing
   * the store (compare-and-set, retried when another writer came first). `update` returns
   * the new value, or `null` to leave the record as it is; it may run more than once and
   * must be free of side effects.
   */
  updateRecord<T, R>(
    key: readonly string[],
    update: (current: T | null) => RecordUpdate<T, R>,
  ): Promise<R>;
  /** Removes a record; `true` when there was one. */
  deleteRecord(key: readonly string[]): Promise<boolean>;
  /** A page of the records under `prefix`, in key order, and the cursor of the next page. */
  listRecords<T>(
    prefix: readonly string[],
    options: { limit: number; cursor?: string },
  ): Promise<{ items: T[]; cursor: string | null }>;
  /**
   * Takes one token from a client's bucket. Never throws for an unavailable store: each
   * store documents its rule (Redis falls back to a bucket in this process's memory).
   */
  takeToken(client: string, options: TakeTokenOptions): Promise<TakeTokenResult>;
  /**
   * Takes the lease `name` for `ttlMs` if nobody holds it: `true` for exactly one caller
   * across every process sharing the store (the per-minute code log with `CRON_LEASE`).
   */
  tryLease(name: string, ttlMs: number): Promise<boolean>;
  /** True when the store answers; never throws, answers within about a second. */
  ping(): Promise<boolean>;
  close(): void;
}
