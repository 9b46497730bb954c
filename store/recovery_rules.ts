/**
 * The rules of a recovery-code attempt, as one pure step over the subject's verification
 * state for its seed in force and its set of unused code digests:
 *
 * - while the seed is locked nothing changes, not even with a right code (429);
 * - a digest in the set is removed (the code works once) and the failure count and lock
 *   reset, as a valid one-time code does; the replay mark of the TOTP codes stays;
 * - any other code is a failed verification: it counts towards the lock exactly like a
 *   wrong TOTP code.
 *
 * The lock and failure rules are {@linkcode applyVerification}'s, reused as they are. The KV
 * store applies this function in one checked atomic commit; the Redis store runs the same
 * rules as one Lua script (store/redis_recovery_scripts.ts); the recovery contract
 * (testing/recovery_store_contract.ts) holds both to the same answers.
 *
 * @module
 */
import {
  applyVerification,
  type RecordGuard,
  type VerificationPolicy,
  type VerificationState,
} from "./verification_rules.ts";

/** One attempt with a recovery code. */
export interface RecoveryAttempt {
  subject: string;
  /** The seed in force, whose verification state (lock, failures) the attempt shares. */
  seedId: string;
  /** The keyed digest of the normalised code (crypto/recovery_code.ts). */
  digest: string;
  /** The clock, in milliseconds. */
  now: number;
  policy: VerificationPolicy;
  /** The record the seed in force was read from (see verification_rules.ts). */
  guard?: RecordGuard | undefined;
}

/** What the store decided. */
export type RecordedRecovery =
  | { kind: "valid"; remaining: number }
  | { kind: "invalid" }
  | { kind: "locked"; retryAfterMs: number }
  | { kind: "stale" }
  | { kind: "missing" };

/**
 * The next verification state (`null`: nothing to write), the digests left, and the answer.
 */
export function applyRecovery(
  stored: VerificationState | null,
  digests: readonly string[],
  attempt: RecoveryAttempt,
): { state: VerificationState | null; digests: string[] | null; result: RecordedRecovery } {
  const matched = digests.includes(attempt.digest);
  // A match is a success that leaves the replay mark where it is.
  const { state, result } = applyVerification(stored, {
    subject: attempt.subject,
    seedId: attempt.seedId,
    matchedStep: matched ? (stored?.lastStep ?? -1) : null,
    now: attempt.now,
    policy: { ...attempt.policy, replayProtection: false },
  });
  if (result.kind === "locked") return { state: null, digests: null, result };
  if (result.kind !== "valid") return { state, digests: null, result: { kind: "invalid" } };
  const left = digests.filter((digest) => digest !== attempt.digest);
  return { state, digests: left, result: { kind: "valid", remaining: left.length } };
}
