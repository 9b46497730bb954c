/**
 * TOTP (RFC 6238) as pure functions of time: the clock is always an input (`now`, in
 * milliseconds), so tests and the per-minute code log can ask for any instant.
 *
 * The functions take a {@linkcode CodeAt} — "the code for this counter" — rather than a
 * key, so the service can answer from a per-step cache ({@linkcode createCodeCache})
 * while tests use {@linkcode hotp} directly.
 *
 * @module
 */
import { timingSafeEqualText } from "./timing_safe_equal.ts";

/**
 * Returns the HOTP code for a counter (a time step, or an HOTP counter, which may exceed
 * 2^53 and is then a `bigint`).
 */
export type CodeAt = (counter: number | bigint) => Promise<string>;

/** Time parameters of RFC 6238 §4.1. */
export interface TotpTimeOptions {
  /** The instant, in milliseconds since the Unix epoch. @default {Date.now()} */
  now?: number;
  /** Time step X, in seconds. @default {30} */
  period?: number;
  /** Start of counting T0, in seconds since the Unix epoch. @default {0} */
  t0?: number;
}

function timeParts(options: TotpTimeOptions): { counter: number; secondsLeft: number } {
  const period = options.period ?? 30;
  if (!Number.isInteger(period) || period <= 0) {
    throw new RangeError("The TOTP period must be a positive whole number of seconds");
  }
  const elapsed = Math.floor((options.now ?? Date.now()) / 1000) - (options.t0 ?? 0);
  if (elapsed < 0) throw new RangeError("The time is before T0");
  return { counter: Math.floor(elapsed / period), secondsLeft: period - (elapsed % period) };
}

/** The time step counter T = floor((unixSeconds - T0) / period). */
export function timeStep(options: TotpTimeOptions = {}): number {
  return timeParts(options).counter;
}

/** A generated code and the whole seconds until its step ends (1..period). */
export interface TotpCode {
  code: string;
  validFor: number;
}

/** The code of the step that contains `now`, from one reading of the clock. */
export async function generateTotp(
  codeAt: CodeAt,
  options: TotpTimeOptions = {},
): Promise<TotpCode> {
  const { counter, secondsLeft } = timeParts(options);
  return { code: await codeAt(counter), validFor: secondsLeft };
}

/** Options for {@linkcode verifyTotp}. */
export interface VerifyTotpOptions extends TotpTimeOptions {
  /** Steps accepted on each side of the current one. @default {1} */
  window?: number;
  /** Expected code length; anything else is rejected before any HMAC. @default {6} */
  digits?: number;
}

/** A code that matched: the step it belongs to and its distance from the current step. */
export interface TotpMatch {
  counter: number;
  delta: number;
}

/**
 * Checks a code against the current step and `window` steps on each side, nearest
 * first, comparing in constant time. The code must be exactly `digits` ASCII digits;
 * anything else (spaces, full-width digits, a trailing newline) is rejected outright.
 *
 * @returns the matching step, or `null`
 */
export async function verifyTotp(
  codeAt: CodeAt,
  code: string,
  options: VerifyTotpOptions = {},
): Promise<TotpMatch | null> {
  const digits = options.digits ?? 6;
  if (!isDigits(code, digits)) return null;
  const window = options.window ?? 1;
  const { counter } = timeParts(options);
  for (const delta of nearestFirst(window)) {
    const candidate = counter + delta;
    if (candidate < 0) continue;
    if (timingSafeEqualText(await codeAt(candidate), code)) return { counter: candidate, delta };
  }
  return null;
}

/** True when `code` is exactly `digits` characters from "0" to "9". */
export function isDigits(code: string, digits: number): boolean {
  if (code.length !== digits) return false;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function nearestFirst(window: number): number[] {
  const deltas = [0];
  for (let d = 1; d <= window; d++) deltas.push(-d, d);
  return deltas;
}
