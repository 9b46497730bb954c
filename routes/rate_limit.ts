/**
 * A token bucket per client address on every endpoint: `perMinute` requests a minute
 * sustained, with bursts up to the same number. An empty bucket answers 429
 * `{"error": "Too many requests"}` with `Retry-After`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { AuditLog } from "../audit.ts";
import type { StateStore } from "../store/state_store.ts";
import { auditContext } from "./context.ts";

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
      c.header("Retry-After", String(Math.max(1, Math.ceil(taken.retryAfterMs / 1000))));
      return c.json({ error: "Too many requests" }, 429);
    }
    await next();
  };
}
