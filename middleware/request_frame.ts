/**
 * Everything the service does around every request, in one middleware: the request id
 * (`X-Request-Id` when the client sends a sane one, else a new UUID, echoed back), the
 * client address, the API security headers and `Cache-Control: no-store`, the access log
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
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import "./context.ts";

/**
 * The security headers of every API response: what OWASP's REST Security Cheat Sheet asks of
 * a JSON API. The browser-page set (HSTS, COOP/CORP, Referrer-Policy and the rest) goes on
 * the HTML docs page only (routes/docs_routes.ts): each response header costs about as
 * much as the TOTP check in Deno's HTTP server (bench/README.md), and those headers protect
 * documents, not JSON. HSTS belongs to the TLS-terminating proxy.
 */
const API_SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ["X-Content-Type-Options", "nosniff"],
  ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
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
    // Set before the handler runs, so they go into the response as it is built (one
    // construction) instead of being added to a finished response one by one. Codes and
    // seed status must never sit in a shared or browser cache; a handler may override it.
    c.header("X-Request-Id", id);
    for (const [name, value] of API_SECURITY_HEADERS) c.header(name, value);
    c.header("Cache-Control", "no-store");
    await next();
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
