/**
 * The rules of a guarded verification as one pure step: given a seed's stored state and
 * what the code matched, the next state and the answer. The Deno KV store applies this
 * function inside an optimistic transaction; the Redis store runs the same rules as a Lua
 * script (store/redis_scripts.ts), and the state store contract
 * (testing/state_store_contract.ts) holds both to the same answers.
 *
 * - A code is accepted only for a step strictly after the last accepted one (RFC 6238 §5.2).
 * - After `maxFailures` consecutive failures the seed is locked for `baseLockMs`; each
 *   further failure after a lock ends locks it again for twice as long, up to `maxLockMs`.
 *   A success resets both. While locked nothing changes, not even with the right code.
 *
 * @module
 */

/** Verification state of one seed of one subject. */
export interface VerificationState {
  /** The last accepted time step (the high-water mark of RFC 6238 §5.2), -1 for none. */
  lastStep: number;
  /** Consecutive failed verifications. */
  failures: number;
  /** Locks imposed since the last success (each doubles the next one). */
  lockLevel: number;
  /** Until when verifications are refused, in milliseconds since the epoch; 0 for never. */
  lockedUntil: number;
}

/** The state of a seed nobody has verified against yet. */
export const FRESH_STATE: Readonly<VerificationState> = Object.freeze({
  lastStep: -1,
  failures: 0,
  lockLevel: 0,
  lockedUntil: 0,
});

/** How verifications are guarded, every default resolved. */
export interface VerificationPolicy {
  /** Refuse a second use of a code (and of older codes). */
  replayProtection: boolean;
  /** Consecutive failures before a lock; 0 turns throttling off. */
  maxFailures: number;
  /** First lock, in milliseconds. */
  baseLockMs: number;
  /** Longest lock, in milliseconds. */
  maxLockMs: number;
}

/**
 * A record the verified seed was read from, and the version read. The store refuses the
 * attempt (`stale`, or `missing` when the record is gone) if the record changed since, so
 * a process that cached a seed never verifies against one another replica replaced.
 */
export interface RecordGuard {
  key: readonly string[];
  /** Opaque to callers: what the store's `getRecordVersioned` returned. */
  version: string;
}

/** One verification to record. */
export interface VerificationAttempt {
  subject: string;
  /** The one-way identifier of the seed the code was checked against. */
  seedId: string;
  /** The time step the code matched (computed in the process), or `null` for none. */
  matchedStep: number | null;
  /** The clock, in milliseconds. */
  now: number;
  policy: VerificationPolicy;
  guard?: RecordGuard | undefined;
}

/** What the store decided. */
export type RecordedVerification =
  | { kind: "valid"; step: number }
  | { kind: "invalid" }
  | { kind: "replay"; step: number }
  | { kind: "locked"; retryAfterMs: number }
  /** The guarded record changed: load it again and retry. */
  | { kind: "stale" }
  /** The guarded record is gone. */
  | { kind: "missing" };

/** Length of a lock after `lockLevel` earlier locks. */
export function lockDuration(lockLevel: number, policy: VerificationPolicy): number {
  return Math.min(policy.baseLockMs * 2 ** lockLevel, policy.maxLockMs);
}

/** The next state (`null`: nothing to write) and the answer for one attempt. */
export function applyVerification(
  stored: VerificationState | null,
  attempt: VerificationAttempt,
): { state: VerificationState | null; result: RecordedVerification } {
  const { matchedStep, now, policy } = attempt;
  const state = { ...(stored ?? FRESH_STATE) };
  if (policy.maxFailures > 0 && state.lockedUntil > now) {
    return { state: null, result: { kind: "locked", retryAfterMs: state.lockedUntil - now } };
  }
  if (matchedStep !== null && (!policy.replayProtection || matchedStep > state.lastStep)) {
    const next = { ...FRESH_STATE, lastStep: Math.max(state.lastStep, matchedStep) };
    return { state: next, result: { kind: "valid", step: matchedStep } };
  }
  const result: RecordedVerification = matchedStep === null
    ? { kind: "invalid" }
    : { kind: "replay", step: matchedStep };
  if (policy.maxFailures <= 0) return { state: null, result };
  state.failures += 1;
  if (state.failures >= policy.maxFailures) {
    state.lockedUntil = now + lockDuration(state.lockLevel, policy);
    state.lockLevel += 1;
  }
  return { state, result };
}
