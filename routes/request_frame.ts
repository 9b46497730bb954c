/**
 * Everything the service does around every request, in one middleware: the request id
 * (`X-Request-Id` when the client sends a sane one, else a new UUID, echoed back), the
 * client address, the security headers and `Cache-Control: no-store`, the access log
 * line and the request metrics.
 *
 * One middleware instead of five: each Hono middleware is another async frame per request,
 * and on the verify path these frames cost more than the TOTP check itself (measured in
 * bench/README.md).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/deno";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import "./context.ts";

/** The headers of Hono's `secureHeaders()` defaults, set once per response. */
const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

const SANE_REQUEST_ID = /^[\w\-.:=]{1,128}$/;

/** Options for {@linkcode requestFrame}. */
export interface RequestFrameOptions {
  logger: Logger;
  metrics: Metrics;
  /** Take the client address from X-Forwarded-For. @default {false} */
  trustProxy?: boolean;
}

/**
 * Who is calling: the TCP peer's address, or — only behind a trusted proxy — the last
 * `X-Forwarded-For` entry, the one the proxy itself appended (earlier entries are whatever
 * the client claimed).
 */
export function clientOf(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  // app.request() in tests has no connection.
  return c.env?.remoteAddr ? getConnInfo(c).remote.address ?? "unknown" : "unknown";
}

/** The frame around every request. */
export function requestFrame(options: RequestFrameOptions): MiddlewareHandler {
  const { logger, metrics } = options;
  const trustProxy = options.trustProxy ?? false;
  return async function requestFrame(c, next) {
    const start = performance.now();
    const given = c.req.header("x-request-id");
    const id = given !== undefined && SANE_REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", id);
    c.set("client", clientOf(c, trustProxy));
    await next();
    const headers = c.res.headers;
    headers.set("X-Request-Id", id);
    for (const [name, value] of SECURITY_HEADERS) headers.set(name, value);
    // Codes and seed status must never sit in a shared or browser cache.
    if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
    const seconds = (performance.now() - start) / 1000;
    // The route template, never the raw path: unknown paths must not grow the label set.
    const route = c.res.status === 404 ? "unmatched" : c.req.routePath;
    metrics.observeRequest(c.req.method, route, c.res.status, seconds);
    logger.info("request", {
      requestId: id,
      client: c.get("client"),
      method: c.req.method,
      route,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round(seconds * 100_000) / 100,
    });
  };
}
