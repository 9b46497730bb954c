/**
 * Everything the service does around every request, in one middleware: the request id
 * (`X-Request-Id` when the client sends a sane one, else a new UUID, echoed back), the
 * client address, the API security headers and `Cache-Control: no-store`, the refusals
 * that need nothing but the request line and headers (an unknown method: 501; a
 * cross-site browser request on a route that changes state: 403), the access log line and
 * the request metrics.
 *
 * One middleware instead of five: each Hono middleware is another async frame per request,
 * and on the verify path these frames cost more than the TOTP check itself (measured in
 * bench/README.md).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/deno";
import { routePath } from "hono/route";
import type { AuditLog } from "../observability/audit.ts";
import type { Logger } from "../observability/logger.ts";
import { methodLabel, type Metrics } from "../observability/metrics.ts";
import { auditContext } from "./context.ts";
import { HOST_REFUSED, hostRefusal, isCrossSite, UNSAFE_METHODS } from "./cross_site.ts";
import { frameHeaders, type HeaderPair } from "./frame_headers.ts";

/**
 * The security headers of every API response: what OWASP's REST Security Cheat Sheet asks of
 * a JSON API. The browser-page set (HSTS, COOP/CORP, Referrer-Policy and the rest) goes on
 * the HTML docs page only (routes/docs_routes.ts): each response header costs about as
 * much as the TOTP check in Deno's HTTP server (bench/README.md), and those headers protect
 * documents, not JSON. HSTS belongs to the TLS-terminating proxy.
 */
const API_SECURITY_HEADERS: readonly HeaderPair[] = [
  ["X-Content-Type-Options", "nosniff"],
  ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
];
/** Codes and seed status must never sit in a shared or browser cache; a handler may override it. */
const NO_STORE: HeaderPair = ["Cache-Control", "no-store"];

const SANE_REQUEST_ID = /^[\w\-.:=]{1,128}$/;

/** Options for {@linkcode requestFrame}. */
export interface RequestFrameOptions {
  logger: Logger;
  metrics: Metrics;
  /** Records refused cross-site requests. */
  audit: AuditLog;
  /** Take the client address from X-Forwarded-For. @default {false} */
  trustProxy?: boolean;
  /** `CORS_ORIGINS`: origins whose pages may change state too. @default {[]} */
  corsOrigins?: readonly string[];
  /** `ALLOWED_HOSTS`: the names the service is reached by; `null` checks browsers only. @default {null} */
  allowedHosts?: readonly string[] | null;
}

/** The body of the 403 for a cross-site request. */
export const CROSS_SITE_REFUSED = "Cross-site request refused";

/**
 * A method for a log line: at most 16 characters, anything outside the RFC 9110 token
 * characters replaced, so a made-up 30 KB method costs the log nothing.
 */
export function methodForLog(method: string): string {
  const short = method.slice(0, 16).replace(/[^A-Za-z0-9!#$%&'*+.^_`|~-]/g, "?");
  return method.length > 16 ? `${short}...` : short;
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
  const { logger, metrics, audit } = options;
  const trustProxy = options.trustProxy ?? false;
  const crossSite = { allowedOrigins: new Set(options.corsOrigins ?? []), trustProxy };
  const hosts = {
    allowedHosts: options.allowedHosts === undefined || options.allowedHosts === null
      ? null
      : new Set(options.allowedHosts),
    trustProxy,
  };
  return async function requestFrame(c, next) {
    const start = performance.now();
    const method = methodLabel(c.req.method);
    const given = c.req.header("x-request-id");
    const id = given !== undefined && SANE_REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", id);
    c.set("client", clientOf(c, trustProxy));
    // Built into the response as it is made (frame_headers.ts), not added to it after.
    const finish = frameHeaders(c, [["X-Request-Id", id], ...API_SECURITY_HEADERS, NO_STORE]);
    let refusal: Response | undefined;
    if (method === "other") {
      // Before routing, so no per-method work or state is ever made for a made-up method.
      c.header("Allow", HTTP_ALLOW);
      refusal = c.json({ error: "Method not implemented" }, 501);
    } else if (UNSAFE_METHODS.has(method) && isCrossSite(c, crossSite)) {
      audit.record("auth.denied", auditContext(c, { reason: "cross-site request" }));
      refusal = c.json({ error: CROSS_SITE_REFUSED }, 403);
    } else if (hostRefusal(c, hosts)) {
      audit.record("auth.denied", auditContext(c, { reason: "host not allowed" }));
      refusal = c.json({ error: HOST_REFUSED }, 421);
    } else {
      await next();
    }
    const response = refusal ?? c.res;
    finish(response);
    const status = response.status;
    const seconds = (performance.now() - start) / 1000;
    // The route template, never the raw path: unknown paths must not grow the label set.
    // A refusal answers from this frame: the route it was meant for is the last one matched.
    const route = status === 404 || status === 501
      ? "unmatched"
      : refusal === undefined
      ? c.req.routePath
      : routePath(c, -1);
    metrics.observeRequest(method, route, status, seconds);
    logger.info("request", {
      requestId: id,
      client: c.get("client"),
      method: method === "other" ? methodForLog(c.req.method) : method,
      route,
      path: c.req.path.length > 256 ? `${c.req.path.slice(0, 256)}...` : c.req.path,
      status,
      durationMs: Math.round(seconds * 100_000) / 100,
    });
    return refusal;
  };
}

/** The `Allow` header of a 501: every method some route takes. */
const HTTP_ALLOW = "GET, HEAD, POST, PUT, DELETE, OPTIONS";
