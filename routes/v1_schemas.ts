/**
 * Schemas of the /v1 subjects API: parsed by the handlers, described in the OpenAPI
 * document.
 *
 * @module
 */
import { z } from "@hono/zod-openapi";
import { OTP_ALGORITHMS } from "../crypto/otp_algorithm.ts";
import { SIGNED_SEED_FIELDS, VerifyBody } from "./schemas.ts";

/**
 * Subject ids: letters, digits and `._@-`, 1 to 128 characters, not starting with `_`. The
 * leading `_` is kept for the stores' own keys (the Redis store lists subjects in the sorted
 * set `<prefix>:subject_records:_index`): a subject of that name would overwrite the list.
 */
export const SUBJECT_ID = /^(?!_)[A-Za-z0-9._@-]{1,128}$/;

/** Why an id that starts with `_` is refused, in every place ids come in. */
export const RESERVED_ID_PREFIX_MESSAGE =
  "A subject id must not start with _ (reserved for the service's own store keys)";

export const SubjectIdParam = z.object({
  id: z.string().regex(SUBJECT_ID).openapi({
    param: { name: "id", in: "path" },
    example: "alice@example.com",
  }),
});

const label = z.string().min(1).max(200);

const COUNTER_ERROR = "counter must be a whole number from 0 to 18446744073709551615, " +
  "as a JSON number or a decimal string";

const algorithm = z.enum(OTP_ALGORITHMS);
const digits = z.union([z.literal(6), z.literal(8)]);
const period = z.number().int().min(15).max(120);

const TotpParams = {
  algorithm: algorithm.default("SHA1"),
  digits: digits.default(6),
  period: period.default(30),
};

/**
 * `PUT /v1/subjects/{id}/seed` as parsed (the signature is checked by hand). The TOTP
 * parameters have no defaults here: an otpauth URI plaintext brings its own, and the route
 * must tell a body that repeats them from one that says nothing.
 */
export const PutSeedInput = z.object({
  encrypted_seed: z.string().min(1),
  signature: z.unknown().optional(),
  issued_at: z.unknown().optional(),
  algorithm: algorithm.optional(),
  digits: digits.optional(),
  period: period.optional(),
  issuer: label.optional(),
  account_name: label.optional(),
  type: z.enum(["totp", "hotp"]).optional(),
  // A bigint when sent as a JSON number (parsed exactly), else a decimal string.
  counter: z.union([z.bigint(), z.string().regex(/^\d{1,20}$/, { error: COUNTER_ERROR })], {
    error: COUNTER_ERROR,
  }).optional(),
  serial_no: label.optional(),
  manufacturer: label.optional(),
});

/** `PUT /v1/subjects/{id}/seed` as documented. */
export const PutSeedBody = PutSeedInput.extend({
  encrypted_seed: z.string().min(1).openapi({
    description: "RSA-OAEP (SHA-256, MGF1-SHA-256) encrypted to the service key (any " +
      "seed-encryption key of GET /v1/keys: active, or decrypt-only until retired), base64, of " +
      "either 20 to 128 hex characters (10 to 64 bytes; hardware tokens may have 10) or an otpauth://totp/ URI (Key URI Format) exported " +
      "from another authenticator. One RSA block carries at most 446 bytes with the usual " +
      "RSA-4096 service key (190 with RSA-2048); a longer ciphertext is 400.",
  }),
  algorithm: algorithm.optional().openapi({
    description: "Default SHA1. With a URI plaintext the URI's value wins; a different one is 400",
  }),
  digits: digits.optional().openapi({ description: "Default 6; as algorithm for URIs" }),
  period: period.optional().openapi({ description: "Default 30 s; as algorithm for URIs" }),
  issuer: label.optional().openapi({
    description: "With a URI plaintext, fills in an issuer the URI lacks; a different one is 400",
  }),
  account_name: label.optional().openapi({
    description: "With a URI plaintext the URI's label wins; a different one is 400",
  }),
  signature: z.string().optional().openapi({
    description:
      "Issuer RSA-PSS signature, as for /decrypt-seed, over the message with this subject's id",
  }),
  type: z.enum(["totp", "hotp"]).optional().openapi({
    description: "totp (default, RFC 6238) or hotp (RFC 4226, counter-based)",
  }),
  counter: z.union([z.int().min(0), z.string().regex(/^\d{1,20}$/)]).optional().openapi({
    description: "hotp only: the next counter value, 0 to 2^64 - 1 (default 0), as a JSON " +
      "integer (read exactly, even above 2^53) or a decimal string",
    example: "0",
  }),
  serial_no: label.optional().openapi({ description: "Hardware token serial number" }),
  manufacturer: label.optional().openapi({ description: "Hardware token maker" }),
  issued_at: SIGNED_SEED_FIELDS.issued_at,
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
  type: z.enum(["totp", "hotp"]).openapi({ description: "totp (RFC 6238) or hotp (RFC 4226)" }),
  counter: z.int().nullable().openapi({
    description: "HOTP: the next counter value expected, an exact integer up to 2^64 - 1 " +
      "(parse it exactly: it may exceed 2^53); null for TOTP",
    example: 0,
  }),
  serial_no: z.string().nullable().openapi({ description: "Hardware token serial number" }),
  manufacturer: z.string().nullable().openapi({ description: "Hardware token maker" }),
  last_accepted_step: z.number().int().nullable(),
  locked: z.boolean(),
  locked_until: z.string().nullable(),
  confirmed: z.boolean().openapi({
    description: "false while an enrolment made in the admin console waits for the first " +
      "code from the user's app; verify answers 409 until then. Subjects set through the API " +
      "are always true",
  }),
}).openapi("Subject");

/** `GET /v1/subjects/{id}` (and the PUT seed answer): the metadata and what is left of it. */
export const SubjectDetailSchema = SubjectMetadataSchema.extend({
  recovery_codes_left: z.number().int().min(0).openapi({
    description: "Unused recovery codes (0 when none were made)",
  }),
}).openapi("SubjectDetail");

/** `POST /v1/subjects/{id}/verify` as parsed: one of the two, checked by the handler. */
export const V1VerifyInput = z.object({
  code: VerifyBody.shape.code.optional(),
  recovery_code: z.string().min(1).max(64).optional(),
});

/** `POST /v1/subjects/{id}/verify` as documented. */
export const V1VerifyBody = z.object({
  code: z.string().min(1).optional().openapi({
    description: "The subject's current code (its number of digits)",
    example: "123456",
  }),
  recovery_code: z.string().min(1).max(64).optional().openapi({
    description: "Instead of code: a recovery code (XXXX-XXXX-XXXX; case, hyphens, spaces and " +
      "Crockford's look-alikes O/I/L do not matter). Each works once; a wrong one counts as a " +
      "failed verification. Send exactly one of code and recovery_code.",
    example: "7QKJ-M2X4-9PDA",
  }),
}).openapi("SubjectVerifyRequest");

/** `POST /v1/subjects/{id}/verify` answer. */
export const V1VerifyResponse = z.object({
  valid: z.boolean(),
  recovery_codes_left: z.number().int().min(0).optional().openapi({
    description: "After an accepted recovery code: how many are left",
  }),
}).openapi("SubjectVerifyResult");

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
