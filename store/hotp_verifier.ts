/**
 * Verification of counter-based (HOTP, RFC 4226) subjects, with the same memory as TOTP:
 * throttling after failures, and each counter value used at most once.
 *
 * The counter in force is the record's counter (set with the seed) plus the steps accepted
 * since, kept in the seed's verification state as `lastStep` relative to it. The state
 * store's numbers stay small while the counter itself is an exact `bigint` up to 2^64 - 1;
 * a PUT (new seed or counter) starts a fresh state.
 *
 * A verification reads the state (to know where the window starts), computes the window's
 * codes in the process, and records the match with the store's one atomic step
 * (`recordVerification`: Lua on Redis, one checked commit on KV), which accepts it only
 * beyond the last accepted step. Of many concurrent uses of a code, in any process sharing
 * the store, exactly one succeeds, and the counter only moves forward.
 *
 * @module
 */
import { matchHotp, resyncHotp } from "../crypto/hotp_window.ts";
import { isDigits } from "../crypto/totp.ts";
import type { Seed } from "./seed_store.ts";
import type { StateStore } from "./state_store.ts";
import type { RecordGuard, VerificationState } from "./verification_rules.ts";
import { type GuardedOutcome, resolvePolicy, type VerifyPolicy } from "./verifier.ts";

/** An HOTP subject as verification needs it. */
export interface HotpCredential {
  seed: Seed;
  /** The counter the seed was set with (the record's `counter`). */
  baseCounter: bigint;
  digits: number;
  /** The record the seed was read from, when another process may replace it. */
  guard?: RecordGuard | undefined;
}

/** Options for {@linkcode verifyHotp} and {@linkcode resyncHotpSubject}. */
export interface HotpVerifyOptions {
  store: StateStore;
  subject: string;
  policy: VerifyPolicy;
  /** The clock, in milliseconds. */
  now: number;
}

/** The look-ahead window: the expected counter and the 10 after it. */
export const HOTP_WINDOW = 10;
/** How far resynchronisation searches for the first of its two codes. */
export const RESYNC_WINDOW = 100;

/** The next counter value expected, from the record's counter and the stored state. */
export function nextCounter(
  baseCounter: bigint,
  state: Pick<VerificationState, "lastStep"> | null,
): bigint {
  return baseCounter + BigInt((state?.lastStep ?? -1) + 1);
}

/**
 * Verifies `code` once for an HOTP subject; the counter moves past the matched value.
 * `stale` or `missing` when the guarded record changed: load it again and retry.
 */
export async function verifyHotp(
  credential: HotpCredential,
  code: string,
  options: HotpVerifyOptions,
): Promise<GuardedOutcome> {
  // Malformed input never reaches the state: it cannot be a guess at a code.
  if (!isDigits(code, credential.digits)) return { kind: "malformed" };
  const state = await options.store.getVerification(options.subject, credential.seed.id);
  const matched = await matchHotp(credential.seed.codeAt, code, {
    counter: nextCounter(credential.baseCounter, state),
    window: HOTP_WINDOW,
    digits: credential.digits,
  });
  return await record(credential, matched, options);
}

/** What resynchronisation found. */
export type ResyncOutcome =
  | { kind: "resynced"; counter: bigint }
  | { kind: "malformed" }
  | { kind: "not-found" }
  | { kind: "locked"; retryAfterMs: number }
  | { kind: "stale" }
  | { kind: "missing" };

/**
 * RFC 4226 §7.4: finds `first`, `second` as consecutive codes within the next 100 counter
 * values and moves the counter past them. A miss counts as a failed verification (two codes
 * searched over 100 values are a guess too), and a locked subject stays locked. Codes that
 * are not `digits` digits are `malformed` and never reach the state, as in
 * {@linkcode verifyHotp}: they cannot be a guess, and must not lock the subject.
 */
export async function resyncHotpSubject(
  credential: HotpCredential,
  first: string,
  second: string,
  options: HotpVerifyOptions,
): Promise<ResyncOutcome> {
  if (!isDigits(first, credential.digits) || !isDigits(second, credential.digits)) {
    return { kind: "malformed" };
  }
  const state = await options.store.getVerification(options.subject, credential.seed.id);
  const matched = await resyncHotp(credential.seed.codeAt, first, second, {
    counter: nextCounter(credential.baseCounter, state),
    window: RESYNC_WINDOW,
    digits: credential.digits,
  });
  const outcome = await record(credential, matched, options);
  switch (outcome.kind) {
    case "locked":
    case "stale":
    case "missing":
      return outcome;
    case "valid":
      return { kind: "resynced", counter: credential.baseCounter + BigInt(outcome.step) + 1n };
    default:
      return { kind: "not-found" };
  }
}

/**
 * Records a match (or a miss) in the store's atomic step. Replay protection is not optional
 * for HOTP: a counter value is accepted only beyond the last accepted one, whatever the
 * policy says, and the state is always consulted.
 */
function record(
  credential: HotpCredential,
  matched: bigint | null,
  options: HotpVerifyOptions,
): Promise<GuardedOutcome> {
  return options.store.recordVerification({
    subject: options.subject,
    seedId: credential.seed.id,
    matchedStep: matched === null ? null : Number(matched - credential.baseCounter),
    now: options.now,
    policy: { ...resolvePolicy(options.policy), replayProtection: true },
    guard: credential.guard,
  });
}
