/**
 * Who may use /v1: `ADMIN_TOKEN` may do everything, any of `VERIFY_TOKENS` may verify and
 * read metadata. Without `ADMIN_TOKEN` the whole API answers 503 — never open by default.
 * Tokens are compared in constant time on their SHA-256 digests.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { AuditLog } from "../audit.ts";
import { timingSafeEqual } from "../crypto/timing_safe_equal.ts";
import { auditContext } from "./context.ts";

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
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Sets the caller's role, or answers 503 / 401. */
export function v1Auth(options: V1AuthOptions): MiddlewareHandler {
  const admin = options.adminToken === null ? null : digest(options.adminToken);
  const verifiers = Promise.all(options.verifyTokens.map(digest));
  return async function v1Auth(c, next) {
    if (admin === null) return c.json({ error: "The /v1 API needs ADMIN_TOKEN" }, 503);
    const presented = /^Bearer ([\x21-\x7e]+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    const given = presented === undefined ? null : await digest(presented);
    // Compare with every token, whatever matches, so timing does not tell which kind it was.
    const isAdmin = given !== null && timingSafeEqual(given, await admin);
    const isVerifier = given !== null &&
      (await verifiers).map((d) => timingSafeEqual(given, d)).includes(true);
    if (!isAdmin && !isVerifier) {
      options.audit.record(
        "auth.denied",
        auditContext(c, { reason: presented ? "wrong token" : "no token" }),
      );
      c.header("WWW-Authenticate", 'Bearer realm="pki-2fa"');
      return c.json({ error: "Unauthorized" }, 401);
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
