/**
 * Schemas of the /v1 subjects API: parsed by the handlers, described in the OpenAPI
 * document.
 *
 * @module
 */
import { z } from "@hono/zod-openapi";
import { OTP_ALGORITHMS } from "../crypto/otp_algorithm.ts";

/** Subject ids: letters, digits and `._@-`, 1 to 128 characters. */
export const SUBJECT_ID = /^[A-Za-z0-9._@-]{1,128}$/;

export const SubjectIdParam = z.object({
  id: z.string().regex(SUBJECT_ID).openapi({
    param: { name: "id", in: "path" },
    example: "alice@example.com",
  }),
});

const label = z.string().min(1).max(200);

const TotpParams = {
  algorithm: z.enum(OTP_ALGORITHMS).default("SHA1"),
  digits: z.union([z.literal(6), z.literal(8)]).default(6),
  period: z.number().int().min(15).max(120).default(30),
};

/** `PUT /v1/subjects/{id}/seed` as parsed (the signature is checked by hand). */
export const PutSeedInput = z.object({
  encrypted_seed: z.string().min(1),
  signature: z.unknown().optional(),
  ...TotpParams,
  issuer: label.optional(),
  account_name: label.optional(),
});

/** `PUT /v1/subjects/{id}/seed` as documented. */
export const PutSeedBody = PutSeedInput.extend({
  encrypted_seed: z.string().min(1).openapi({
    description:
      "32 to 128 hex characters, RSA-OAEP (SHA-256) encrypted to the service key, base64",
  }),
  signature: z.string().optional().openapi({
    description: "Issuer RSA-PSS signature, as for /decrypt-seed",
  }),
}).openapi("PutSeedRequest");

/** `POST /v1/subjects/{id}/enroll`. */
export const EnrollBody = z.object({
  issuer: label,
  account_name: label,
  ...TotpParams,
}).openapi("EnrollRequest");

export const SubjectMetadataSchema = z.object({
  id: z.string(),
  algorithm: z.enum(OTP_ALGORITHMS),
  digits: z.number().int(),
  period: z.number().int(),
  issuer: z.string().nullable(),
  account_name: z.string().nullable(),
  created_at: z.string().nullable().openapi({ description: "null for the default subject" }),
  updated_at: z.string().nullable(),
  last_accepted_step: z.number().int().nullable(),
  locked: z.boolean(),
  locked_until: z.string().nullable(),
}).openapi("Subject");

export const EnrollResponse = SubjectMetadataSchema.extend({
  otpauth_uri: z.string().openapi({
    description: "Key URI Format; the only time the secret leaves the service",
  }),
  qr_svg: z.string().openapi({ description: "SVG QR code of otpauth_uri" }),
}).openapi("Enrollment");

export const SubjectList = z.object({
  subjects: z.array(SubjectMetadataSchema),
  next_cursor: z.string().nullable(),
}).openapi("SubjectList");

export const ListQuery = z.object({
  limit: z.string().optional().openapi({ param: { name: "limit", in: "query" }, example: "50" }),
  cursor: z.string().optional().openapi({ param: { name: "cursor", in: "query" } }),
});

export const EnrollQuery = z.object({
  replace: z.enum(["true", "false"]).optional().openapi({
    param: { name: "replace", in: "query" },
  }),
});
