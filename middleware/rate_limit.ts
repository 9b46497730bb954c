/**
 * A token bucket per client address on every endpoint but the probes: `perMinute`
 * requests a minute sustained, with bursts up to the same number. An empty bucket answers
 * 429 `{"error": "Too many requests"}` with `Retry-After`.
 *
 * `/health` and `/ready` are never limited: a container health check or a load balancer
 * polls them from one address, and a 429 there would take a healthy service out of
 * rotation (issue 12: 37 of 140 health calls got 429). They read nothing secret and
 * change nothing.
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

/** Paths no client is ever limited on. */
export const UNLIMITED_PATHS: ReadonlySet<string> = new Set(["/health", "/ready"]);

/** Refuses clients that exceed their rate. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const { store, audit, perMinute, now } = options;
  return async function rateLimit(c, next) {
    if (perMinute <= 0 || UNLIMITED_PATHS.has(c.req.path)) return await next();
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
