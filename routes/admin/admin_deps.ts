/**
 * What the admin console needs beyond the API routes' dependencies, and the values its gate
 * puts on the context of every signed-in request.
 *
 * @module
 */
import type { RecentAuditLog } from "../../observability/recent_audit.ts";
import type { RouteDeps } from "../route_deps.ts";
import type { FormFields } from "./admin_form.ts";
import type { AdminSession } from "./admin_sessions.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The console session of a signed-in request. */
    adminSession: AdminSession;
    /** A signed-in POST's form, read (and its CSRF token checked) by the gate. */
    adminForm: FormFields;
  }
}

/** The console's dependencies. */
export interface AdminDeps extends RouteDeps {
  /** The last audit events of this process, for the service page. */
  recentAudit: RecentAuditLog;
  /** Which state store the service runs on (`STATE_STORE`). */
  stateStoreKind: "kv" | "redis";
}
