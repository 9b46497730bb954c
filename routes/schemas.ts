/**
 * The zod schemas of every request and response body. The handlers parse with them and
 * the OpenAPI document is generated from them, so the two cannot drift apart.
 *
 * @module
 */
import { z } from "@hono/zod-openapi";

/** Every error: exactly one `error` string. */
export const ErrorBody = z.object({ error: z.string().openapi({ example: "Decryption failed" }) })
  .openapi("Error");

const base64 = (description: string) => z.string().min(1).openapi({ description, format: "byte" });

/**
 * What `POST /decrypt-seed` parses: `signature` and `issued_at` are checked by hand so a
 * wrong type gets the signature's own answer.
 */
export const DecryptSeedInput = z.object({
  encrypted_seed: base64(
    "The 64-hex seed, RSA-OAEP (SHA-256, MGF1-SHA-256, no label) encrypted to the service's public key, base64; whitespace is ignored. " +
      "Any seed-encryption key of GET /v1/keys is accepted: the active one, or a decrypt-only one not yet retired",
  ),
  signature: z.unknown().optional(),
  issued_at: z.unknown().optional(),
});

/** The documented `signature` and `issued_at` of a seed request. */
export const SIGNED_SEED_FIELDS = {
  signature: base64(
    "Optional issuer signature: RSA-PSS SHA-256 (MGF1-SHA-256, maximum salt), base64, over the UTF-8 of " +
      "`pki-2fa-seed-v1\\n<subject>\\n<service key SHA-256 hex>\\n<issued_at>\\n<encrypted_seed>` " +
      "(subject `default` here; the service key is the kid, in GET /v1/keys, of the key encrypted_seed " +
      "is encrypted to). Needs issued_at; a signature over encrypted_seed alone is refused (401)",
  ).optional(),
  issued_at: z.string().optional().openapi({
    description:
      "With a signature: when the issuer made it, UTC (2025-01-01T00:00:00Z, milliseconds optional). " +
      "409 Stale seed when over 10 minutes old or not newer than the last signed seed accepted for the subject",
    example: "2025-11-24T16:00:15.123Z",
  }),
};

/** `POST /decrypt-seed` request, as documented. */
export const DecryptSeedBody = DecryptSeedInput.extend(SIGNED_SEED_FIELDS)
  .openapi("DecryptSeedRequest");

/** `{"status": "ok"}`. */
export const StatusOk = z.object({ status: z.literal("ok") }).openapi("StatusOk");

/** `GET /generate-2fa` answer. */
export const GenerateResponse = z.object({
  code: z.string().regex(/^\d{6}$/).openapi({ example: "123456" }),
  valid_for: z.number().int().min(1).max(30).openapi({
    description: "Seconds until the code's 30-second step ends (30 - unixSeconds % 30)",
    example: 17,
  }),
}).openapi("GeneratedCode");

/** `POST /verify-2fa` request. */
export const VerifyBody = z.object({
  code: z.string({
    // Missing, null and empty keep the assignment's "Missing code" (middleware/json_body.ts).
    error: (issue) =>
      issue.code === "invalid_type" && issue.input !== undefined && issue.input !== null
        ? "code must be a string of digits"
        : undefined,
  }).min(1).openapi({
    description: 'Exactly 6 ASCII digits; anything else is {"valid": false}',
    example: "123456",
  }),
}).openapi("VerifyRequest");

/** `POST /verify-2fa` answer. */
export const VerifyResponse = z.object({ valid: z.boolean() }).openapi("VerifyResult");

const CheckResult = z.enum(["ok", "error"]);

/** `GET /ready` answer. */
export const ReadyResponse = z.object({
  status: z.enum(["ready", "not ready"]),
  checks: z.object({
    private_key: CheckResult,
    data_dir: CheckResult,
    cron_dir: CheckResult,
    state_store: CheckResult,
    subject_store: CheckResult.openapi({
      description:
        "error when the /v1 data key does not unwrap with the service key (a replaced private key)",
    }),
    audit_log: CheckResult.openapi({
      description: "error while AUDIT_LOG_FILE cannot be written (events still go to stdout)",
    }),
    seed: z.enum(["loaded", "absent"]).openapi({
      description: "Reported only: a fresh service is ready to receive a seed",
    }),
  }),
}).openapi("Readiness");

/** One published key of `GET /v1/keys`. */
export const PublishedKeySchema = z.object({
  kid: z.string().regex(/^[0-9a-f]{64}$/).openapi({
    description: "Lower-case hex SHA-256 of the public key's SPKI DER",
    example: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  }),
  use: z.enum(["seed-encryption", "audit"]).openapi({
    description: "seed-encryption: RSA-OAEP (SHA-256) key seeds are encrypted to; " +
      "audit: Ed25519 key that signs the audit file's checkpoints",
  }),
  status: z.enum(["active", "decrypt-only"]).openapi({
    description: "active: encrypt to this one; decrypt-only: an earlier key, still accepted " +
      "until it is retired",
  }),
  public_key: z.string().openapi({
    description: "SPKI PEM",
    example: "-----BEGIN PUBLIC KEY-----\n...",
  }),
}).openapi("PublishedKey");

/** `GET /v1/keys` answer. */
export const KeysResponse = z.object({ keys: z.array(PublishedKeySchema) }).openapi("Keys");

/** What the 403 of a cross-site browser request says, for every route that changes state. */
export const CROSS_SITE_DESCRIPTION =
  'Cross-site browser request (Origin not the service\'s own nor in CORS_ORIGINS, or Sec-Fetch-Site: cross-site): {"error": "Cross-site request refused"}, before the body is read; nothing changes';

/** What the 408 of a body that did not arrive in time says. */
export const BODY_TIMEOUT_DESCRIPTION =
  "The body did not arrive within 10 seconds of the headers; the connection is marked to close";

/** A JSON response of `schema` for the OpenAPI document. */
export function jsonContent<T extends z.ZodType>(
  schema: T,
  description: string,
): { description: string; content: { "application/json": { schema: T } } } {
  return { description, content: { "application/json": { schema } } };
}
