/**
 * Counter-based verification (RFC 4226 §7.2, §7.4) as pure functions: the look-ahead
 * window and resynchronisation. Counters are `bigint`s, exact up to 2^64 - 1.
 *
 * Every candidate in the window is computed and compared, in constant time, whether or
 * not an earlier one matched: how long a check takes says nothing about where in the
 * window a guess landed.
 *
 * @module
 */
import { isDigits } from "./totp.ts";
import type { CodeAt } from "./totp.ts";
import { timingSafeEqualText } from "./timing_safe_equal.ts";

/** The largest HOTP counter (the moving factor is 8 bytes). */
export const MAX_HOTP_COUNTER = 2n ** 64n - 1n;

/** Options for {@linkcode matchHotp}. */
export interface MatchHotpOptions {
  /** The next counter value expected. */
  counter: bigint;
  /** Further counter values accepted after it (RFC 4226's look-ahead). @default {10} */
  window?: number;
  /** Expected code length; anything else is rejected before any HMAC. @default {6} */
  digits?: number;
}

/**
 * Finds `code` among the codes of `counter .. counter + window`.
 *
 * @returns the lowest matching counter, or `null`
 */
export async function matchHotp(
  codeAt: CodeAt,
  code: string,
  options: MatchHotpOptions,
): Promise<bigint | null> {
  if (!isDigits(code, options.digits ?? 6)) return null;
  const candidates = counterRange(options.counter, (options.window ?? 10) + 1);
  const codes = await Promise.all(candidates.map((c) => codeAt(c)));
  let found: bigint | null = null;
  for (const [i, candidate] of codes.entries()) {
    // No early exit: every candidate is compared.
    const equal = timingSafeEqualText(candidate, code);
    if (equal && found === null) found = candidates[i]!;
  }
  return found;
}

/** Options for {@linkcode resyncHotp}. */
export interface ResyncHotpOptions {
  /** The next counter value expected. */
  counter: bigint;
  /** How many counter values to search for the first code. @default {100} */
  window?: number;
  /** Code length. @default {6} */
  digits?: number;
}

/**
 * Resynchronisation (RFC 4226 §7.4): finds two consecutive codes `first`, `second` whose
 * first lies within the next `window` counter values.
 *
 * @returns the counter of `second` (the stored counter becomes that plus one), or `null`
 */
export async function resyncHotp(
  codeAt: CodeAt,
  first: string,
  second: string,
  options: ResyncHotpOptions,
): Promise<bigint | null> {
  const digits = options.digits ?? 6;
  if (!isDigits(first, digits) || !isDigits(second, digits)) return null;
  const candidates = counterRange(options.counter, (options.window ?? 100) + 1);
  const codes = await Promise.all(candidates.map((c) => codeAt(c)));
  let found: bigint | null = null;
  for (let i = 0; i + 1 < codes.length; i++) {
    // Both comparisons always run (`&`, not `&&`).
    const pair = Number(timingSafeEqualText(codes[i]!, first)) &
      Number(timingSafeEqualText(codes[i + 1]!, second));
    if (pair === 1 && found === null) found = candidates[i + 1]!;
  }
  return found;
}

/** `count` counters from `start`, stopping at {@linkcode MAX_HOTP_COUNTER}. */
function counterRange(start: bigint, count: number): bigint[] {
  const counters: bigint[] = [];
  for (let c = start; c < start + BigInt(count) && c <= MAX_HOTP_COUNTER; c++) counters.push(c);
  return counters;
}
