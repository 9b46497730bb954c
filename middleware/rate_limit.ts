/**
 * A token bucket per client address on every endpoint: `perMinute` requests a minute
 * sustained, with bursts up to the same number. An empty bucket answers 429
 * `{"error": "Too many requests"}` with `Retry-After`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { AuditLog } from "../observability/audit.ts";
import type { StateStore } from "../store/state_store.ts";
import { auditContext } from "./context.ts";
import { setRetryAfter } from "./retry_after.ts";

/** Options for {@linkcode rateLimit}. */
export interface RateLimitOptions {
  store: StateStore;
  audit: AuditLog;
  /** Requests a minute per client; 0 turns the limit off. */
  perMinute: number;
  /** Clock, in milliseconds. */
  now: () => number;
}

/** Refuses clients that exceed their rate. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const { store, audit, perMinute, now } = options;
  return async function rateLimit(c, next) {
    if (perMinute <= 0) return await next();
    const taken = await store.takeToken(c.get("client"), {
      capacity: perMinute,
      refillPerMs: perMinute / 60_000,
      now: now(),
    });
    if (!taken.allowed) {
      audit.record("rate.limited", auditContext(c));
      setRetryAfter(c, taken.retryAfterMs);
      return c.json({ error: "Too many requests" }, 429);
    }
    await next();
  };
}
