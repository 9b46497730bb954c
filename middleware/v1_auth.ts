/**
 * Who may use /v1: `ADMIN_TOKEN` may do everything, any of `VERIFY_TOKENS` may verify and
 * read metadata. Without `ADMIN_TOKEN` the whole API answers 503 — never open by default.
 * Tokens are compared in constant time on their SHA-256 digests; wrong ones spend the
 * client's budget (middleware/wrong_token_throttle.ts).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { AuditLog } from "../observability/audit.ts";
import { timingSafeEqual } from "../crypto/timing_safe_equal.ts";
import { auditContext } from "./context.ts";
import { blockedClient, presentedBearerToken, refuseToken, tokenDigest } from "./bearer_auth.ts";
import type { WrongTokenThrottle } from "./wrong_token_throttle.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The caller's role on /v1. */
    role: "admin" | "verify";
  }
}

/** Options for {@linkcode v1Auth}. */
export interface V1AuthOptions {
  adminToken: string | null;
  verifyTokens: readonly string[];
  audit: AuditLog;
  /** The wrong-token budget; without it wrong tokens are only answered 401. */
  throttle?: WrongTokenThrottle | undefined;
}

/** Sets the caller's role, or answers 503 / 401. */
export function v1Auth(options: V1AuthOptions): MiddlewareHandler {
  const admin = options.adminToken === null ? null : tokenDigest(options.adminToken);
  const verifiers = Promise.all(options.verifyTokens.map(tokenDigest));
  return async function v1Auth(c, next) {
    if (admin === null) return c.json({ error: "The /v1 API needs ADMIN_TOKEN" }, 503);
    const presented = presentedBearerToken(c);
    const blocked = blockedClient(c, options.audit, presented, options.throttle);
    if (blocked !== null) return blocked;
    const given = presented === undefined ? null : await tokenDigest(presented);
    // Compare with every token, whatever matches, so timing does not tell which kind it was.
    const isAdmin = given !== null && timingSafeEqual(given, await admin);
    const isVerifier = given !== null &&
      (await verifiers).map((d) => timingSafeEqual(given, d)).includes(true);
    if (!isAdmin && !isVerifier) {
      return await refuseToken(c, options.audit, presented, options.throttle);
    }
    c.set("role", isAdmin ? "admin" : "verify");
    await next();
  };
}

/** Answers 403 unless the caller holds the admin token. */
export function adminOnly(audit: AuditLog): MiddlewareHandler {
  return async function adminOnly(c, next) {
    if (c.get("role") !== "admin") {
      audit.record("auth.denied", auditContext(c, { reason: "verify token on an admin route" }));
      return c.json({ error: "Forbidden" }, 403);
    }
    await next();
  };
}
