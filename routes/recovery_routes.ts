/**
 * Recovery codes over HTTP: `POST /v1/subjects/{id}/recovery-codes` makes a new set (shown
 * once), and `POST /v1/subjects/{id}/verify` with `{"recovery_code": "..."}` uses one
 * (answered here, the way answer_verification.ts answers a TOTP code). Mounted by v1Routes
 * after its authentication middleware.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import { RECOVERY_CODES_PER_SET } from "../crypto/recovery_code.ts";
import type { RecoveryCodes, RecoveryOutcome } from "../store/recovery_codes.ts";
import type { SeedLookup } from "../store/verifier.ts";
import { auditContext } from "../middleware/context.ts";
import { setRetryAfter } from "../middleware/retry_after.ts";
import { adminOnly } from "../middleware/v1_auth.ts";
import type { RouteDeps } from "./route_deps.ts";
import { subjectId, subjectIncarnation, subjectNotFound } from "./subject_lookup.ts";
import { CROSS_SITE_DESCRIPTION, ErrorBody, jsonContent } from "./schemas.ts";
import { SubjectIdParam } from "./v1_schemas.ts";

/** `POST /v1/subjects/{id}/recovery-codes` answer. */
export const RecoveryCodesResponse = z.object({
  recovery_codes: z.array(z.string().regex(/^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){2}$/))
    .length(RECOVERY_CODES_PER_SET)
    .openapi({
      description: "Ten one-time codes, 60 bits each, in Crockford's base32. Shown only now: " +
        "the service keeps a keyed hash of each.",
      example: ["7QKJ-M2X4-9PDA", "…"],
    }),
}).openapi("RecoveryCodes");

/** The recovery-code routes (v1Routes mounts them behind its authentication). */
export function recoveryRoutes(deps: RouteDeps, recovery: RecoveryCodes): Hono {
  return new Hono().post("/v1/subjects/:id/recovery-codes", adminOnly(deps.audit), async (c) => {
    const id = subjectId(c);
    const codes = await recovery.generate(id, subjectIncarnation(deps, id));
    if (codes === null) subjectNotFound();
    deps.audit.record(
      "recovery.generated",
      auditContext(c, { subject: id, remaining: codes.length }),
    );
    return c.json({ recovery_codes: codes }, 201);
  });
}

const AUDIT_EVENT = {
  valid: "recovery.used",
  invalid: "verify.fail",
  malformed: "verify.fail",
  locked: "verify.locked",
} as const;

/**
 * Tries a recovery code and answers: `{"valid": true, "recovery_codes_left": N}` once per
 * code, `{"valid": false}` for anything else, 429 with `Retry-After` while the subject's seed
 * is locked, 404 when the subject has no seed.
 */
export async function answerRecoveryCode(
  c: Context,
  deps: Pick<RouteDeps, "audit" | "metrics" | "security" | "now">,
  recovery: RecoveryCodes,
  options: { subject: string; code: string; lookup: SeedLookup },
): Promise<Response> {
  const { subject } = options;
  const outcome: RecoveryOutcome | null = await recovery.use(options.code, options.lookup, {
    subject,
    policy: deps.security.verifyPolicy,
    now: deps.now(),
  });
  if (outcome === null) subjectNotFound();
  deps.metrics.verification(outcome.kind);
  const fields = outcome.kind === "valid"
    ? { remaining: outcome.remaining }
    : { reason: outcome.kind === "malformed" ? "recovery code malformed" : "recovery code" };
  deps.audit.record(AUDIT_EVENT[outcome.kind], auditContext(c, { subject, ...fields }));
  if (outcome.kind === "locked") {
    setRetryAfter(c, outcome.retryAfterMs);
    return c.json({ error: "Too many attempts" }, 429);
  }
  return outcome.kind === "valid"
    ? c.json({ valid: true, recovery_codes_left: outcome.remaining }, 200)
    : c.json({ valid: false }, 200);
}

/** The OpenAPI description of the recovery-code routes. */
export const recoveryRouteSpecs = [
  createRoute({
    method: "post",
    path: "/v1/subjects/{id}/recovery-codes",
    tags: ["Subjects (/v1)"],
    summary: "A new set of ten recovery codes, replacing every earlier one",
    description: "For when the authenticator is lost: each code works once with " +
      '`POST /v1/subjects/{id}/verify` `{"recovery_code": "..."}`. Audited as ' +
      "`recovery.generated` (never the codes).",
    security: [{ adminToken: [] }],
    request: { params: SubjectIdParam },
    responses: {
      201: jsonContent(RecoveryCodesResponse, "The codes, shown this once"),
      400: jsonContent(ErrorBody, "Invalid subject id"),
      401: jsonContent(ErrorBody, "No valid token"),
      403: jsonContent(
        ErrorBody,
        "A verify token on an admin route, or a " + CROSS_SITE_DESCRIPTION,
      ),
      404: jsonContent(ErrorBody, "Subject not found"),
      503: jsonContent(ErrorBody, "ADMIN_TOKEN is not set, or the state store is unavailable"),
    },
  }),
];
