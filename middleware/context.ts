/**
 * Values the middleware puts on every request's context, typed once for all routes.
 *
 * @module
 */
import type { Context } from "hono";
import type { AuditFields } from "../observability/audit.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The client's address: the connection's, or X-Forwarded-For's behind a trusted proxy. */
    client: string;
    /** The request id, echoed in X-Request-Id and written in every log line of the request. */
    requestId: string;
  }
}

/** The request's identity for an audit record. */
export function auditContext(c: Context, fields: AuditFields = {}): AuditFields {
  return { requestId: c.get("requestId"), client: c.get("client"), ...fields };
}
