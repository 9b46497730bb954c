/**
 * `POST /v1/subjects/{id}/export`: the seed leaves the service only RSA-OAEP encrypted to a
 * recipient's public key — the same exchange the service receives seeds with, so
 * `openssl pkeyutl -decrypt -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256` on the
 * recipient's side gives the hex seed. Off unless `EXPORT_ENABLED=true`: an admin token
 * alone should not be enough to take every credential away.
 *
 * Mounted by v1Routes after its authentication middleware.
 *
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { createRoute, z } from "@hono/zod-openapi";
import { encryptOaepAnySize } from "../crypto/rsa_public_any_size.ts";
import { parseRecipientKey, RecipientKeyError } from "../crypto/recipient_key.ts";
import { DEFAULT_SUBJECT } from "../store/state_store.ts";
import { seedIdOf } from "../store/seed_store.ts";
import { nextCounter } from "../store/hotp_verifier.ts";
import { auditContext } from "../middleware/context.ts";
import { parseJsonBody } from "../middleware/json_body.ts";
import { adminOnly } from "../middleware/v1_auth.ts";
import type { RouteDeps } from "./route_deps.ts";
import { DEFAULT_PARAMS, subjectId, subjectNotFound } from "./subject_lookup.ts";
import {
  BODY_TIMEOUT_DESCRIPTION,
  CROSS_SITE_DESCRIPTION,
  ErrorBody,
  jsonContent,
} from "./schemas.ts";
import { SubjectIdParam } from "./v1_schemas.ts";
import { OTP_ALGORITHMS, type OtpAlgorithm } from "../crypto/otp_algorithm.ts";

/** `POST /v1/subjects/{id}/export` request. */
export const ExportBody = z.object({
  recipient_public_key: z.string().min(1).max(16_384).openapi({
    description: "The recipient's RSA public key, PEM (SPKI `PUBLIC KEY` or PKCS#1 " +
      "`RSA PUBLIC KEY`), 2048 to 8192 bits",
  }),
}).openapi("ExportRequest");

/** `POST /v1/subjects/{id}/export` answer. */
export const ExportResponse = z.object({
  encrypted_seed: z.string().openapi({
    description: "base64 of RSA-OAEP (SHA-256, MGF1-SHA-256, no label) of the seed's " +
      "lower-case hex, encrypted to recipient_public_key",
    format: "byte",
  }),
  algorithm: z.enum(OTP_ALGORITHMS),
  digits: z.number().int(),
  period: z.number().int(),
  type: z.literal("hotp").optional().openapi({
    description: "Only for an HOTP (counter-based) subject",
  }),
  counter: z.string().regex(/^\d+$/).optional().openapi({
    description: "HOTP only: the counter in force, in decimal (exact up to 2^64 - 1)",
  }),
}).openapi("Export");

/** The export route (v1Routes mounts it behind its authentication). */
export function exportRoutes(deps: RouteDeps): Hono {
  return new Hono().post("/v1/subjects/:id/export", adminOnly(deps.audit), async (c) => {
    if (!deps.security.exportEnabled) {
      throw new HTTPException(403, { message: "Export disabled" });
    }
    const id = subjectId(c);
    const body = await parseJsonBody(
      c,
      ExportBody,
      "recipient_public_key must be an RSA public key PEM (at most 16 KiB)",
    );
    const sealed = await sealForRecipient(deps, id, body.recipient_public_key);
    deps.audit.record(
      "seed.exported",
      auditContext(c, { subject: id, fingerprint: sealed.fingerprint }),
    );
    const { fingerprint: _fingerprint, ...answer } = sealed;
    return c.json(answer, 200);
  });
}

/** A sealed export: the route's answer, and the recipient key's fingerprint for the audit. */
export interface SealedExport {
  encrypted_seed: string;
  algorithm: OtpAlgorithm;
  digits: number;
  period: number;
  type?: "hotp";
  counter?: string;
  /** SHA-256 of the recipient key's SPKI DER. */
  fingerprint: string;
}

/**
 * Encrypts a subject's seed to a recipient's RSA public key: the route's work, shared with
 * the admin console. The caller checks `EXPORT_ENABLED` and records the audit event.
 *
 * @throws {HTTPException} 400 naming what is wrong with the key; 404 when the subject has
 *   no seed
 */
export async function sealForRecipient(
  deps: Pick<RouteDeps, "seedStore" | "subjects" | "stateStore">,
  id: string,
  recipientPem: string,
): Promise<SealedExport> {
  let recipient;
  try {
    recipient = await parseRecipientKey(recipientPem);
  } catch (error) {
    if (error instanceof RecipientKeyError) {
      throw new HTTPException(400, { message: error.message });
    }
    throw error;
  }
  const found = await exportable(deps, id);
  if (found === null) subjectNotFound();
  const plaintext = new TextEncoder().encode(found.hex);
  const encrypted = await encryptOaepAnySize(recipient.spki, plaintext);
  plaintext.fill(0);
  return {
    encrypted_seed: encrypted.toBase64(),
    algorithm: found.params.algorithm,
    digits: found.params.digits,
    period: found.params.period,
    ...found.hotp,
    fingerprint: recipient.fingerprint,
  };
}

/** The seed as hex and its parameters, or `null` when the subject has none. */
async function exportable(
  deps: Pick<RouteDeps, "seedStore" | "subjects" | "stateStore">,
  id: string,
) {
  if (id === DEFAULT_SUBJECT) {
    const hex = deps.seedStore.secretHex();
    return hex === null ? null : { hex, params: DEFAULT_PARAMS };
  }
  const found = await deps.subjects.secret(id);
  if (found === null) return null;
  const hex = found.secret.toHex();
  found.secret.fill(0);
  const { record } = found;
  if (record.type !== "hotp") return { hex, params: record };
  // The counter in force: the record's, moved by the codes accepted since.
  const state = await deps.stateStore.getVerification(id, await seedIdOf(hex));
  const counter = nextCounter(BigInt(record.counter ?? "0"), state).toString();
  return { hex, params: record, hotp: { type: "hotp" as const, counter } };
}

/** The OpenAPI description of the export route. */
export const exportRouteSpecs = [
  createRoute({
    method: "post",
    path: "/v1/subjects/{id}/export",
    tags: ["Subjects (/v1)"],
    summary: "The seed, RSA-OAEP encrypted to a recipient's public key (EXPORT_ENABLED=true)",
    description: "For migrating a credential to another system. The recipient decrypts with " +
      "`openssl pkeyutl -decrypt -inkey recipient.pem -pkeyopt rsa_padding_mode:oaep " +
      "-pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256`. Audited as `seed.exported` " +
      "with the recipient key's SHA-256 fingerprint.",
    security: [{ adminToken: [] }],
    request: {
      params: SubjectIdParam,
      body: { required: true, content: { "application/json": { schema: ExportBody } } },
    },
    responses: {
      200: jsonContent(ExportResponse, "The sealed seed and its TOTP parameters"),
      400: jsonContent(
        ErrorBody,
        "Invalid subject id, or a bad key (named: not PEM, not RSA, size)",
      ),
      401: jsonContent(ErrorBody, "No valid token"),
      403: jsonContent(
        ErrorBody,
        'Export disabled ({"error": "Export disabled"}), a verify token, or a ' +
          CROSS_SITE_DESCRIPTION,
      ),
      408: jsonContent(ErrorBody, BODY_TIMEOUT_DESCRIPTION),
      404: jsonContent(ErrorBody, "Subject not found"),
      503: jsonContent(
        ErrorBody,
        "ADMIN_TOKEN is not set: /v1 is closed; or State store unavailable",
      ),
    },
  }),
];
