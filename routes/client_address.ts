/**
 * Who is calling: the address of the TCP peer, or — only when `TRUST_PROXY=true` — the
 * last address in `X-Forwarded-For`, the one the trusted proxy itself appended (earlier
 * entries are whatever the client claimed).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/deno";
import "./context.ts";

/** Options for {@linkcode clientAddress}. */
export interface ClientAddressOptions {
  /** Believe X-Forwarded-For. @default {false} */
  trustProxy?: boolean;
}

/** Sets `c.get("client")` for the rate limiter and the audit log. */
export function clientAddress(options: ClientAddressOptions = {}): MiddlewareHandler {
  const trustProxy = options.trustProxy ?? false;
  return async function clientAddress(c, next) {
    let client: string | undefined;
    if (trustProxy) {
      client = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim() || undefined;
    }
    if (client === undefined) {
      try {
        client = getConnInfo(c).remote.address;
      } catch {
        // No connection (app.request() in tests).
      }
    }
    c.set("client", client ?? "unknown");
    await next();
  };
}
