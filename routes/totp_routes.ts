/**
 * `GET /generate-2fa` and `POST /verify-2fa`: TOTP codes of the stored seed (SHA-1,
 * 6 digits, 30 s, ±1 step), with the clock read once per request. Verification is
 * one-time and throttled (store/verifier.ts); a replayed code answers exactly like a
 * wrong one, and only the audit log tells them apart.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { generateTotp } from "../crypto/totp.ts";
import { DEFAULT_SUBJECT } from "../store/state_store.ts";
import { verifyGuarded } from "../store/verifier.ts";
import { parseJsonBody } from "./json_body.ts";
import { requireAdminToken } from "./admin_auth.ts";
import { auditContext } from "./context.ts";
import { requireSeed, type RouteDeps } from "./deps.ts";

const VerifyBody = z.object({ code: z.string().min(1) });

const AUDIT_EVENT = {
  valid: "verify.ok",
  invalid: "verify.fail",
  malformed: "verify.fail",
  replay: "verify.replay",
  locked: "verify.locked",
} as const;

/** Routes that generate and verify codes. */
export function totpRoutes(deps: RouteDeps): Hono {
  const { audit, security } = deps;
  return new Hono()
    .get("/generate-2fa", requireAdminToken({ token: security.adminToken, audit }), async (c) => {
      const seed = requireSeed(deps.seedStore);
      const { code, validFor } = await generateTotp(seed.codeAt, { now: deps.now() });
      return c.json({ code, valid_for: validFor }, 200);
    })
    .post("/verify-2fa", async (c) => {
      // The contract checks the body before the seed.
      const { code } = await parseJsonBody(c, VerifyBody, "Missing code");
      const seed = requireSeed(deps.seedStore);
      const outcome = await verifyGuarded(seed, code, {
        store: deps.stateStore,
        subject: DEFAULT_SUBJECT,
        policy: security.verifyPolicy,
        now: deps.now(),
      });
      audit.record(
        AUDIT_EVENT[outcome.kind],
        auditContext(c, {
          subject: DEFAULT_SUBJECT,
          ...(outcome.kind === "malformed" || outcome.kind === "invalid"
            ? { reason: outcome.kind }
            : {}),
        }),
      );
      if (outcome.kind === "locked") {
        c.header("Retry-After", String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))));
        return c.json({ error: "Too many attempts" }, 429);
      }
      return c.json({ valid: outcome.kind === "valid" }, 200);
    });
}
