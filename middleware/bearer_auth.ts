/**
 * `Authorization: Bearer <token>`: `ADMIN_TOKEN` on the routes that change the seed or
 * reveal a code, `METRICS_TOKEN` on `/metrics`. Both tokens are hashed before the
 * constant-time comparison, so neither the content nor the length of the configured token
 * leaks through timing, and wrong ones spend the client's budget
 * (middleware/wrong_token_throttle.ts).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AuditLog } from "../observability/audit.ts";
import { timingSafeEqual } from "../crypto/timing_safe_equal.ts";
import { auditContext } from "./context.ts";
import { sha256 } from "../crypto/sha256.ts";
import { tooManyWrongTokens, type WrongTokenThrottle } from "./wrong_token_throttle.ts";

/** Options for {@linkcode requireBearerToken}. */
export interface AdminAuthOptions {
  /** The token; `null` lets every request through (the assignment's open contract). */
  token: string | null;
  audit: AuditLog;
  /** The wrong-token budget; without it wrong tokens are only answered 401. */
  throttle?: WrongTokenThrottle | undefined;
}

/** SHA-256 of a token: tokens are compared as digests, so length does not leak either. */
export async function tokenDigest(text: string): Promise<Uint8Array> {
  return await sha256(text);
}

/** The token of an `Authorization: Bearer <token>` header, or `undefined`. */
export function presentedBearerToken(c: Context): string | undefined {
  return /^Bearer ([\x21-\x7e]+)$/.exec(c.req.header("authorization") ?? "")?.[1];
}

/** Audits the refusal and answers 401 `{"error": "Unauthorized"}` with a Bearer challenge. */
export function unauthorized(c: Context, audit: AuditLog, presented: string | undefined): Response {
  audit.record("auth.denied", auditContext(c, { reason: presented ? "wrong token" : "no token" }));
  c.header("WWW-Authenticate", 'Bearer realm="pki-2fa"');
  return c.json({ error: "Unauthorized" }, 401);
}

/**
 * 429 when the client presents a token while its wrong tokens are spent (before any
 * comparison), else `null`: go on and compare.
 */
export function blockedClient(
  c: Context,
  audit: AuditLog,
  presented: string | undefined,
  throttle: WrongTokenThrottle | undefined,
): Response | null {
  if (presented === undefined || throttle === undefined) return null;
  const wait = throttle.waitMs(c.get("client"));
  return wait > 0 ? tooManyWrongTokens(c, audit, wait) : null;
}

/** The answer to a missing or wrong token: 401, or 429 once the wrong one spent the budget. */
export async function refuseToken(
  c: Context,
  audit: AuditLog,
  presented: string | undefined,
  throttle: WrongTokenThrottle | undefined,
): Promise<Response> {
  if (presented !== undefined && throttle !== undefined) {
    const wait = await throttle.wrong(c.get("client"));
    if (wait > 0) {
      audit.record("auth.denied", auditContext(c, { reason: "wrong token" }));
      return tooManyWrongTokens(c, audit, wait);
    }
  }
  return unauthorized(c, audit, presented);
}

/** Answers 401 `{"error": "Unauthorized"}` unless the request carries the token. */
export function requireBearerToken(options: AdminAuthOptions): MiddlewareHandler {
  const { token, audit, throttle } = options;
  const expected = token === null ? null : tokenDigest(token);
  return async function requireBearerToken(c, next) {
    if (expected === null) return await next();
    const presented = presentedBearerToken(c);
    const blocked = blockedClient(c, audit, presented, throttle);
    if (blocked !== null) return blocked;
    if (presented === undefined || !timingSafeEqual(await tokenDigest(presented), await expected)) {
      return await refuseToken(c, audit, presented, throttle);
    }
    await next();
  };
}
