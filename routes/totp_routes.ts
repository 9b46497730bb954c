/**
 * `GET /generate-2fa` and `POST /verify-2fa`: TOTP codes of the stored seed (SHA-1,
 * 6 digits, 30 s, ±1 step), with the clock read once per request. Verification is
 * one-time and throttled (store/verifier.ts); a replayed code answers exactly like a
 * wrong one, and only the audit log tells them apart.
 *
 * @module
 */
import { Hono } from "hono";
import { createRoute } from "@hono/zod-openapi";
import { generateTotp } from "../crypto/totp.ts";
import { DEFAULT_SUBJECT } from "../store/state_store.ts";
import { verifySubject } from "../store/verifier.ts";
import { defaultSeedLookup } from "../store/seed_source.ts";
import { parseJsonBody } from "../middleware/json_body.ts";
import { requireBearerToken } from "../middleware/bearer_auth.ts";
import { requireSeed, type RouteDeps, seedNotDecrypted } from "./route_deps.ts";
import { answerVerification } from "./answer_verification.ts";
import {
  BODY_TIMEOUT_DESCRIPTION,
  CROSS_SITE_DESCRIPTION,
  ErrorBody,
  GenerateResponse,
  jsonContent,
  VerifyBody,
  VerifyResponse,
} from "./schemas.ts";

/** The OpenAPI description of these routes. */
export const totpRouteSpecs = [
  createRoute({
    method: "get",
    path: "/generate-2fa",
    tags: ["Assignment contract"],
    summary: "The current TOTP code (SHA-1, 6 digits, 30 s) and the seconds it stays valid",
    security: [{ adminToken: [] }, {}],
    responses: {
      200: jsonContent(GenerateResponse, "The code of the current step"),
      401: jsonContent(ErrorBody, "ADMIN_TOKEN set and not given"),
      429: jsonContent(ErrorBody, "Rate limited (Retry-After)"),
      500: jsonContent(ErrorBody, "Seed not decrypted yet"),
    },
  }),
  createRoute({
    method: "post",
    path: "/verify-2fa",
    tags: ["Assignment contract"],
    summary: "Check a code against the previous, current and next step, once",
    request: { body: { required: true, content: { "application/json": { schema: VerifyBody } } } },
    responses: {
      200: jsonContent(
        VerifyResponse,
        "valid: true once for a fresh code; false for wrong, replayed or malformed codes",
      ),
      400: jsonContent(
        ErrorBody,
        '"Missing code" (absent, null or empty), "code must be a string of digits", "Request body is not valid JSON", "Request body must be a JSON object" or "Duplicate key ... in the JSON body"',
      ),
      403: jsonContent(ErrorBody, CROSS_SITE_DESCRIPTION),
      408: jsonContent(ErrorBody, BODY_TIMEOUT_DESCRIPTION),
      413: jsonContent(ErrorBody, "Body over 64 KiB"),
      429: jsonContent(ErrorBody, "Too many attempts (throttled, Retry-After) or rate limited"),
      500: jsonContent(ErrorBody, "Seed not decrypted yet"),
      503: jsonContent(ErrorBody, "State store unavailable: the replay and throttle state"),
    },
  }),
];

/** Routes that generate and verify codes. */
export function totpRoutes(deps: RouteDeps): Hono {
  const { audit, security } = deps;
  return new Hono()
    .get(
      "/generate-2fa",
      requireBearerToken({
        token: security.adminToken,
        audit,
        throttle: deps.wrongTokens,
      }),
      async (c) => {
        const seed = requireSeed(deps.seedStore);
        const { code, validFor } = await generateTotp(seed.codeAt, { now: deps.now() });
        return c.json({ code, valid_for: validFor }, 200);
      },
    )
    .post("/verify-2fa", async (c) => {
      // The contract checks the body before the seed.
      const { code } = await parseJsonBody(c, VerifyBody);
      const outcome = await verifySubject(code, defaultSeedLookup(deps.seedStore), {
        store: deps.stateStore,
        subject: DEFAULT_SUBJECT,
        policy: security.verifyPolicy,
        now: deps.now(),
      });
      if (outcome === null) seedNotDecrypted();
      return answerVerification(c, deps, outcome, DEFAULT_SUBJECT);
    });
}
