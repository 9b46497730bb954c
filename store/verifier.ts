/**
 * Verification with memory: one-time codes (RFC 6238 §5.2) and brute-force throttling
 * (RFC 4226 §7.3) on top of the pure TOTP check. The HMAC match is computed here, in the
 * process; the state store then checks the lock and the replay mark and records the result
 * in one atomic step (verification_rules.ts gives the rules).
 *
 * - A code is accepted only for a step strictly after the last accepted one, so a code works
 *   once, and an older code still in the window is refused once a newer one was used.
 * - After `maxFailures` consecutive failures the seed is locked for 30 s; each further
 *   failure after a lock ends locks it again for twice as long, up to 15 minutes. A success
 *   resets both. While locked, even a correct code is refused and its step is not used up.
 * - State is kept per subject and seed: a new seed starts afresh, and an old one keeps its
 *   marks, so two seeds never reset each other.
 *
 * @module
 */
import { isDigits, verifyTotp } from "../crypto/totp.ts";
import type { Seed } from "./seed_store.ts";
import { type StateStore, StateStoreUnavailableError } from "./state_store.ts";
import type { RecordGuard, VerificationPolicy } from "./verification_rules.ts";

/** How verification is guarded. */
export interface VerifyPolicy {
  /** Refuse a second use of a code (and of older codes). @default {true} */
  replayProtection: boolean;
  /** Consecutive failures before a lock; 0 turns throttling off. @default {5} */
  maxFailures: number;
  /** First lock, in milliseconds. @default {30_000} */
  baseLockMs?: number;
  /** Longest lock, in milliseconds. @default {900_000} */
  maxLockMs?: number;
  /** Steps accepted on each side of the current one. @default {1} */
  window?: number;
  /** Code length. @default {6} */
  digits?: number;
}

/** What a verification found. Only `valid` means yes; the rest differ for the audit log. */
export type VerifyOutcome =
  | { kind: "valid"; step: number }
  | { kind: "invalid" }
  | { kind: "replay"; step: number }
  | { kind: "malformed" }
  | { kind: "locked"; retryAfterMs: number };

/** A guarded attempt may also find that the seed it used was replaced (`stale`) or removed. */
export type GuardedOutcome = VerifyOutcome | { kind: "stale" } | { kind: "missing" };

/** Options for {@linkcode verifyGuarded}. */
export interface VerifyGuardedOptions {
  store: StateStore;
  subject: string;
  policy: VerifyPolicy;
  /** The clock, in milliseconds. */
  now: number;
  /** The subject's code length. @default {policy.digits, else 6} */
  digits?: number;
  /** The subject's time step, in seconds. @default {30} */
  period?: number;
  /** The record `seed` was read from, when another process may replace it. */
  guard?: RecordGuard | undefined;
}

/** The store's policy, with every default filled in. */
export function resolvePolicy(policy: VerifyPolicy): VerificationPolicy {
  return {
    replayProtection: policy.replayProtection,
    maxFailures: policy.maxFailures,
    baseLockMs: policy.baseLockMs ?? 30_000,
    maxLockMs: policy.maxLockMs ?? 900_000,
  };
}

/** Verifies `code` for `seed` once, consulting and updating the seed's state. */
export async function verifyGuarded(
  seed: Seed,
  code: string,
  options: VerifyGuardedOptions,
): Promise<GuardedOutcome> {
  const { store, subject, policy, now } = options;
  const digits = options.digits ?? policy.digits ?? 6;
  // Malformed input never reaches the state: it cannot be a guess at a code.
  if (!isDigits(code, digits)) return { kind: "malformed" };
  const match = await verifyTotp(seed.codeAt, code, {
    now,
    window: policy.window ?? 1,
    digits,
    period: options.period ?? 30,
  });
  if (!policy.replayProtection && policy.maxFailures === 0) {
    return match === null ? { kind: "invalid" } : { kind: "valid", step: match.counter };
  }
  return await store.recordVerification({
    subject,
    seedId: seed.id,
    matchedStep: match?.counter ?? null,
    now,
    policy: resolvePolicy(policy),
    guard: options.guard,
  });
}

/** A subject's seed as a lookup found it. */
export interface SeedInForce {
  seed: Seed;
  /** The record it came from, when another process may replace it. */
  guard?: RecordGuard | undefined;
  /** Code length. @default {6} */
  digits?: number;
  /** Time step, in seconds. @default {30} */
  period?: number;
}

/**
 * Finds a subject's seed: from what this process already holds (`fresh: false`), or read
 * again from the store (`fresh: true`, after the store said the held one was replaced).
 * `null` when the subject has no seed.
 */
export type SeedLookup = (fresh: boolean) => Promise<SeedInForce | null>;

/** Replacements in a row after which a verification gives up (a seed replaced in a loop). */
const MAX_RELOADS = 3;

/**
 * Verifies `code` against the subject's seed in force. A seed held in memory is used as long
 * as the store confirms it is current; when another replica replaced it, the seed is looked
 * up again and the code checked against the new one.
 *
 * @returns the outcome, or `null` when the subject has no seed
 * @throws {StateStoreUnavailableError} when the store does not answer, or the seed keeps
 *   changing under the attempt
 */
export async function verifySubject(
  code: string,
  lookup: SeedLookup,
  options: Omit<VerifyGuardedOptions, "digits" | "period" | "guard">,
): Promise<VerifyOutcome | null> {
  for (let reload = 0; reload <= MAX_RELOADS; reload++) {
    const found = await lookup(reload > 0);
    if (found === null) return null;
    const outcome = await verifyGuarded(found.seed, code, {
      ...options,
      guard: found.guard,
      ...(found.digits === undefined ? {} : { digits: found.digits }),
      ...(found.period === undefined ? {} : { period: found.period }),
    });
    if (outcome.kind !== "stale" && outcome.kind !== "missing") return outcome;
  }
  throw new StateStoreUnavailableError({
    cause: new Error("The seed kept changing during the verification"),
  });
}
