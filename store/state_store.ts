/**
 * The service's security state — per-subject replay marks, failure counters and locks,
 * and per-client rate-limit buckets — behind one small interface, so a single process
 * can keep it in Deno KV and several replicas can share it in a server-backed store.
 *
 * A subject is one TOTP credential; the assignment's endpoints use {@linkcode DEFAULT_SUBJECT}.
 *
 * @module
 */

/** The subject the assignment's single-seed endpoints act on. */
export const DEFAULT_SUBJECT = "default";

/** Verification state of one subject. */
export interface SubjectState {
  /** Which seed this state belongs to; a different seed starts from a fresh state. */
  seedId: string;
  /** The last accepted time step (the high-water mark of RFC 6238 §5.2), -1 for none. */
  lastStep: number;
  /** Consecutive failed verifications. */
  failures: number;
  /** Locks imposed since the last success (each doubles the next one). */
  lockLevel: number;
  /** Until when verifications are refused, in milliseconds since the epoch; 0 for never. */
  lockedUntil: number;
}

/** A fresh state for a seed. */
export function freshState(seedId: string): SubjectState {
  return { seedId, lastStep: -1, failures: 0, lockLevel: 0, lockedUntil: 0 };
}

/** The new state to store (`null`: unchanged, nothing to write) and the value to return. */
export interface StateUpdate<T> {
  state: SubjectState | null;
  result: T;
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

/** Storage of the security state. Implementations make every update atomic. */
export interface StateStore {
  /** The stored state of a subject, or `null`. */
  getSubject(subject: string): Promise<SubjectState | null>;
  /**
   * Reads, transforms and writes a subject's state as one atomic step: concurrent
   * updates of the same subject (in this process or another) never both see the same
   * old state. `update` may run more than once and must be free of side effects.
   */
  updateSubject<T>(
    subject: string,
    update: (current: SubjectState | null) => StateUpdate<T>,
  ): Promise<T>;
  /** Removes a subject's state. */
  deleteSubject(subject: string): Promise<void>;
  /** A stored record, or `null`. */
  getRecord<T>(key: readonly string[]): Promise<T | null>;
  /** Stores a record; with `ifAbsent`, only when none exists (then `false` if one did). */
  setRecord<T>(
    key: readonly string[],
    value: T,
    options?: { ifAbsent?: boolean },
  ): Promise<boolean>;
  /** Removes a record; `true` when there was one. */
  deleteRecord(key: readonly string[]): Promise<boolean>;
  /** A page of the records under `prefix`, in key order, and the cursor of the next page. */
  listRecords<T>(
    prefix: readonly string[],
    options: { limit: number; cursor?: string },
  ): Promise<{ items: T[]; cursor: string | null }>;
  /** Takes one token from a client's bucket. */
  takeToken(client: string, options: TakeTokenOptions): Promise<TakeTokenResult>;
  /**
   * Takes the lease `name` for `ttlMs` if nobody holds it: `true` for exactly one caller
   * across every process sharing the store (the per-minute code log with `CRON_LEASE`).
   */
  tryLease(name: string, ttlMs: number): Promise<boolean>;
  /** True when the store answers. */
  ping(): Promise<boolean>;
  close(): void;
}
