/**
 * Verification with memory: one-time codes (RFC 6238 §5.2) and brute-force throttling
 * (RFC 4226 §7.3) on top of the pure TOTP check.
 *
 * - A code is accepted only for a step strictly after the last accepted one, and the mark
 *   moves in the same atomic update, so a code works once, and an older code still in the
 *   window is refused once a newer one was used.
 * - After `maxFailures` consecutive failures the subject is locked for 30 s; each further
 *   failure after a lock ends locks it again for twice as long, up to 15 minutes. A success
 *   resets both. While locked, even a correct code is refused and its step is not used up.
 *
 * @module
 */
import { isDigits, verifyTotp } from "../crypto/totp.ts";
import type { Seed } from "./seed_store.ts";
import { freshState, type StateStore, type SubjectState } from "./state_store.ts";

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
}

/** Length of a lock after `lockLevel` earlier locks. */
export function lockDuration(lockLevel: number, policy: VerifyPolicy): number {
  const base = policy.baseLockMs ?? 30_000;
  return Math.min(base * 2 ** lockLevel, policy.maxLockMs ?? 900_000);
}

/** Verifies `code` for `seed`, consulting and updating the subject's state. */
export async function verifyGuarded(
  seed: Seed,
  code: string,
  options: VerifyGuardedOptions,
): Promise<VerifyOutcome> {
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
  return await store.updateSubject<VerifyOutcome>(subject, (stored) => {
    const state: SubjectState = stored?.seedId === seed.id ? { ...stored } : freshState(seed.id);
    if (policy.maxFailures > 0 && state.lockedUntil > now) {
      // Nothing changes while locked: no write.
      return { state: null, result: { kind: "locked", retryAfterMs: state.lockedUntil - now } };
    }
    const fresh = match !== null && (!policy.replayProtection || match.counter > state.lastStep);
    if (match !== null && fresh) {
      const next = { ...freshState(seed.id), lastStep: Math.max(state.lastStep, match.counter) };
      return { state: next, result: { kind: "valid", step: match.counter } };
    }
    if (policy.maxFailures > 0) {
      state.failures += 1;
      if (state.failures >= policy.maxFailures) {
        state.lockedUntil = now + lockDuration(state.lockLevel, policy);
        state.lockLevel += 1;
      }
    }
    const result: VerifyOutcome = match === null
      ? { kind: "invalid" }
      : { kind: "replay", step: match.counter };
    return { state, result };
  });
}
