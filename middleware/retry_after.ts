/**
 * `Retry-After` in whole seconds, at least 1: the rate limiter and the verification
 * throttle both answer 429 with it, and must round the same way (up, so a client that
 * waits as told is not refused again).
 *
 * @module
 */
import type { Context } from "hono";

/** Whole seconds to wait for `ms` milliseconds, rounded up, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Sets `Retry-After` for a wait of `ms` milliseconds. */
export function setRetryAfter(c: Context, ms: number): void {
  c.header("Retry-After", String(retryAfterSeconds(ms)));
}
