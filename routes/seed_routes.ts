/**
 * `POST /decrypt-seed`: the PKI half of the exchange. The seed arrives RSA-OAEP
 * encrypted to the service's public key, optionally signed by the issuer, and is stored
 * only after the signature (when given or required) verifies and the ciphertext decrypts
 * to exactly 64 hex characters.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { createRoute } from "@hono/zod-openapi";
import { decryptOaep } from "../crypto/rsa_oaep.ts";
import { verifyPssAnySize } from "../crypto/rsa_public_any_size.ts";
import { parseSeedHex } from "../store/seed_files.ts";
import { DEFAULT_SUBJECT } from "../store/state_store.ts";
import { parseJsonBody } from "./json_body.ts";
import { requireBearerToken } from "./bearer_auth.ts";
import { auditContext } from "./context.ts";
import type { RouteDeps } from "./deps.ts";
import { DecryptSeedBody, DecryptSeedInput, ErrorBody, jsonContent, StatusOk } from "./schemas.ts";

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
      400: jsonContent(ErrorBody, "Not JSON, or encrypted_seed missing, empty or not a string"),
      401: jsonContent(
        ErrorBody,
        "ADMIN_TOKEN set and not given, or a missing/invalid issuer signature",
      ),
      413: jsonContent(ErrorBody, "Body over 64 KiB"),
      429: jsonContent(ErrorBody, "Rate limited (Retry-After)"),
      500: jsonContent(
        ErrorBody,
        "Decryption failed — one answer for every cause; the stored seed is unchanged",
      ),
    },
  }),
];

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes, decrypts and checks a seed; any failure is one generic error. */
async function decryptSeed(privateKey: CryptoKey, encryptedSeed: string): Promise<string | null> {
  try {
    // fromBase64 skips ASCII whitespace, so PEM-style line breaks are fine.
    const plaintext = await decryptOaep(privateKey, Uint8Array.fromBase64(encryptedSeed));
    return parseSeedHex(utf8.decode(plaintext));
  } catch {
    // The cause must not change the answer (no padding oracle).
    return null;
  }
}

/**
 * Checks the issuer's RSA-PSS signature over the ASCII of `encrypted_seed`.
 *
 * @returns `null` when acceptable, else the reason for the audit log
 */
async function signatureProblem(
  deps: RouteDeps,
  encryptedSeed: string,
  signature: unknown,
): Promise<string | null> {
  const { issuerSpki, requireSeedSignature } = deps.security;
  if (signature === undefined || signature === null) {
    return requireSeedSignature ? "signature missing" : null;
  }
  if (typeof signature !== "string") return "signature not a string";
  if (issuerSpki === null) return "no issuer key to verify with";
  try {
    const valid = await verifyPssAnySize(
      issuerSpki,
      Uint8Array.fromBase64(signature),
      new TextEncoder().encode(encryptedSeed),
    );
    return valid ? null : "signature invalid";
  } catch {
    return "signature not base64";
  }
}

/** Routes that receive the seed. */
export function seedRoutes(deps: RouteDeps): Hono {
  const { audit, logger } = deps;
  function reject(c: Context, reason: string, status: 401 | 500, message: string): never {
    audit.record("seed.rejected", auditContext(c, { subject: DEFAULT_SUBJECT, reason }));
    deps.metrics.seedDecrypt("rejected");
    throw new HTTPException(status, { message });
  }
  return new Hono().post(
    "/decrypt-seed",
    requireBearerToken({ token: deps.security.adminToken, audit }),
    async (c) => {
      const body = await parseJsonBody(c, DecryptSeedInput, "Missing encrypted_seed");
      const problem = await signatureProblem(deps, body.encrypted_seed, body.signature);
      if (problem === "signature missing") reject(c, problem, 401, "Seed signature required");
      if (problem !== null) reject(c, problem, 401, "Invalid seed signature");
      const hex = await decryptSeed(deps.privateKey, body.encrypted_seed);
      if (hex === null) reject(c, "decryption", 500, "Decryption failed");
      const outcome = await deps.seedStore.replace(hex, { ciphertext: body.encrypted_seed });
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
