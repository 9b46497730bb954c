/**
 * `POST /decrypt-seed`: the PKI half of the exchange. The seed arrives RSA-OAEP
 * encrypted to the service's public key, optionally signed by the issuer, and is stored
 * only after the signature (when given or required) verifies and the ciphertext decrypts
 * to exactly 64 hex characters.
 *
 * @module
 */
import { Hono } from "hono";
import { createRoute } from "@hono/zod-openapi";
import { DEFAULT_SUBJECT } from "../store/state_store.ts";
import { ASSIGNMENT_SEED_HEX } from "../store/seed_files.ts";
import { parseJsonBody } from "../middleware/json_body.ts";
import { requireBearerToken } from "../middleware/bearer_auth.ts";
import { receiveSeed, rejectSeed, STALE_SEED } from "./receive_seed.ts";
import { SeedMarks } from "../store/seed_marks.ts";
import { auditContext } from "../middleware/context.ts";
import type { RouteDeps } from "./route_deps.ts";
import {
  BODY_TIMEOUT_DESCRIPTION,
  CROSS_SITE_DESCRIPTION,
  DecryptSeedBody,
  DecryptSeedInput,
  ErrorBody,
  jsonContent,
  StatusOk,
} from "./schemas.ts";

/** The OpenAPI description of these routes. */
export const seedRouteSpecs = [
  createRoute({
    method: "post",
    path: "/decrypt-seed",
    tags: ["Assignment contract"],
    summary: "Store a TOTP seed sent RSA-OAEP encrypted to the service's public key",
    security: [{ adminToken: [] }, {}],
    request: {
      body: { required: true, content: { "application/json": { schema: DecryptSeedBody } } },
    },
    responses: {
      200: jsonContent(StatusOk, "Stored (or the same seed again)"),
      400: jsonContent(
        ErrorBody,
        '"Missing encrypted_seed" (absent, null or empty), "encrypted_seed must be a string", "Request body is not valid JSON", "Request body must be a JSON object" or "Duplicate key ... in the JSON body"; "issued_at must be a UTC time ...", "issued_at is only accepted with a signature" or "issued_at is more than 5 minutes ahead of the service clock"',
      ),
      401: jsonContent(
        ErrorBody,
        "ADMIN_TOKEN set and not given, or a missing/invalid issuer signature",
      ),
      403: jsonContent(ErrorBody, CROSS_SITE_DESCRIPTION),
      408: jsonContent(ErrorBody, BODY_TIMEOUT_DESCRIPTION),
      409: jsonContent(
        ErrorBody,
        "Stale seed: a signed seed issued over 10 minutes ago, or not newer than the last accepted; nothing changed",
      ),
      413: jsonContent(ErrorBody, "Body over 64 KiB"),
      429: jsonContent(ErrorBody, "Rate limited (Retry-After)"),
      500: jsonContent(
        ErrorBody,
        "Decryption failed — one answer for every cause (a retired or unknown key included; nothing says which key was tried); the stored seed is unchanged",
      ),
      503: jsonContent(
        ErrorBody,
        "State store unavailable (STATE_STORE=redis keeps the seed in Redis); nothing changed",
      ),
    },
  }),
];

/** Routes that receive the seed. */
export function seedRoutes(deps: RouteDeps): Hono {
  const { audit, logger } = deps;
  const marks = new SeedMarks(deps.stateStore);
  return new Hono().post(
    "/decrypt-seed",
    requireBearerToken({ token: deps.security.adminToken, audit, throttle: deps.wrongTokens }),
    async (c) => {
      const body = await parseJsonBody(c, DecryptSeedInput);
      const { hex, issuedAt } = await receiveSeed(c, deps, body, {
        subject: DEFAULT_SUBJECT,
        hexPattern: ASSIGNMENT_SEED_HEX,
      });
      const outcome = await deps.seedStore.replace(hex, {
        ciphertext: body.encrypted_seed,
        ...(issuedAt === null
          ? {}
          : { admit: () => marks.advance(DEFAULT_SUBJECT, issuedAt), issuedAt }),
      });
      if (outcome === "stale") {
        return rejectSeed(
          c,
          deps,
          DEFAULT_SUBJECT,
          "not newer than the seed in force",
          409,
          STALE_SEED,
        );
      }
      audit.record(
        outcome === "set" ? "seed.set" : "seed.unchanged",
        auditContext(c, { subject: DEFAULT_SUBJECT }),
      );
      deps.metrics.seedDecrypt(outcome);
      logger.info(outcome === "set" ? "Seed stored" : "Seed unchanged", {
        requestId: c.get("requestId"),
      });
      return c.json({ status: "ok" }, 200);
    },
  );
}
