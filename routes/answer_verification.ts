/**
 * Turns a verification outcome into metrics, an audit record and the answer, the same way
 * for `POST /verify-2fa` and `POST /v1/subjects/{id}/verify`: a replay answers exactly like
 * a wrong code, and only the audit log tells them apart.
 *
 * @module
 */
import type { Context } from "hono";
import type { VerifyOutcome } from "../store/verifier.ts";
import { auditContext } from "../middleware/context.ts";
import { setRetryAfter } from "../middleware/retry_after.ts";
import type { RouteDeps } from "./route_deps.ts";

const AUDIT_EVENT = {
  valid: "verify.ok",
  invalid: "verify.fail",
  malformed: "verify.fail",
  replay: "verify.replay",
  locked: "verify.locked",
} as const;

/** `{"valid": ...}`, or 429 with `Retry-After` while the subject is locked. */
export function answerVerification(
  c: Context,
  deps: Pick<RouteDeps, "audit" | "metrics">,
  outcome: VerifyOutcome,
  subject: string,
): Response {
  deps.metrics.verification(outcome.kind);
  const reason = outcome.kind === "malformed" || outcome.kind === "invalid"
    ? { reason: outcome.kind }
    : {};
  deps.audit.record(AUDIT_EVENT[outcome.kind], auditContext(c, { subject, ...reason }));
  if (outcome.kind === "locked") {
    setRetryAfter(c, outcome.retryAfterMs);
    return c.json({ error: "Too many attempts" }, 429);
  }
  return c.json({ valid: outcome.kind === "valid" }, 200);
}
