/**
 * The /v1 subjects API: many users' TOTP credentials beside the assignment's single seed.
 * The subject `default` is the assignment's seed (the seed file), so `/decrypt-seed`,
 * `/generate-2fa`, `/verify-2fa` and `/v1/subjects/default/...` act on one credential.
 *
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { generateTotp } from "../crypto/totp.ts";
import { DEFAULT_SUBJECT, StateStoreUnavailableError } from "../store/state_store.ts";
import { ASSIGNMENT_SEED_HEX } from "../store/seed_files.ts";
import { defaultSeedLookup } from "../store/seed_source.ts";
import { subjectMetadata, type SubjectParams } from "../store/subject_store.ts";
import { type SeedLookup, verifySubject } from "../store/verifier.ts";
import { LOCKED_MESSAGE } from "../store/data_key.ts";
import { SeedMarks } from "../store/seed_marks.ts";
import { labelProblem } from "./otp_labels.ts";
import { auditContext } from "../middleware/context.ts";
import type { RouteDeps } from "./route_deps.ts";
import { otpauthUri } from "../crypto/otpauth_uri.ts";
import { SECRET_BYTES } from "../crypto/otp_algorithm.ts";
import { qrSvg, QrTooLongError } from "./qr_svg.ts";
import { exactJson } from "./exact_json.ts";
import { hotpCode, HotpCodeResponse, hotpParams, hotpVerification } from "./hotp_subjects.ts";
import { parseJsonBody } from "../middleware/json_body.ts";
import { receivePlaintext, rejectSeed, STALE_SEED } from "./receive_seed.ts";
import {
  paramsFromBody,
  type ResolvedSeed,
  seedFromOtpauth,
  SeedPlaintextError,
} from "./seed_plaintext.ts";
import { isOtpauthUri } from "../crypto/parse_otpauth_uri.ts";
import {
  DEFAULT_PARAMS,
  resolveSubject,
  subjectId,
  subjectNotConfirmed,
  subjectNotFound,
} from "./subject_lookup.ts";
import { answerVerification } from "./answer_verification.ts";
import { exportRoutes, exportRouteSpecs } from "./export_routes.ts";
import {
  BODY_TIMEOUT_DESCRIPTION,
  CROSS_SITE_DESCRIPTION,
  ErrorBody,
  GenerateResponse,
  jsonContent,
} from "./schemas.ts";
import { adminOnly, v1Auth } from "../middleware/v1_auth.ts";
import {
  EnrollBody,
  EnrollQuery,
  EnrollResponse,
  ListQuery,
  PutSeedBody,
  PutSeedInput,
  SubjectDetailSchema,
  SubjectIdParam,
  SubjectList,
  V1VerifyBody,
  V1VerifyInput,
  V1VerifyResponse,
} from "./v1_schemas.ts";
import { deleteSubject, RecoveryCodes } from "../store/recovery_codes.ts";
import { answerRecoveryCode, recoveryRoutes, recoveryRouteSpecs } from "./recovery_routes.ts";
import { createRoute, z } from "@hono/zod-openapi";

/** 10 to 64 bytes: RFC 4226 asks for 16, but hardware tokens with 10 exist (PSKC imports). */
const ANY_SEED_HEX = /^(?:[0-9a-fA-F]{2}){10,64}$/;
function missingCode(): never {
  throw new HTTPException(400, { message: "Missing code" });
}

const DEFAULT_PARAMS_MESSAGE = "The default subject is SHA1, 6 digits, 30 seconds";

function isAssignmentParams(params: SubjectParams): boolean {
  return params.algorithm === DEFAULT_PARAMS.algorithm && params.digits === DEFAULT_PARAMS.digits &&
    params.period === DEFAULT_PARAMS.period;
}

/** Refuses a label an authenticator app would misread. */
function checkLabels(
  labels: { issuer?: string | undefined; account_name?: string | undefined },
): void {
  for (const name of ["issuer", "account_name"] as const) {
    const value = labels[name];
    const problem = value === undefined ? null : labelProblem(name, value);
    if (problem !== null) throw new HTTPException(400, { message: problem });
  }
}

/** The /v1 routes. */
export function v1Routes(deps: RouteDeps): Hono {
  const { audit, subjects, stateStore } = deps;
  const admin = adminOnly(audit);
  const recovery = new RecoveryCodes(stateStore, subjects);
  const marks = new SeedMarks(stateStore);

  const resolve = (id: string) => resolveSubject(deps, id);

  /**
   * The seed a verification checks against: the one this process holds while the store
   * confirms it (no read before the verification), read again once it was replaced.
   */
  function lookup(id: string): SeedLookup {
    if (id === DEFAULT_SUBJECT) return defaultSeedLookup(deps.seedStore);
    return async (fresh) => {
      let loaded = (fresh ? undefined : subjects.cached(id)) ?? await subjects.load(id);
      if (loaded?.record.confirmed === false) {
        // What this process holds may be old: another replica may have confirmed it since.
        if (!fresh) loaded = await subjects.load(id);
        if (loaded?.record.confirmed === false) subjectNotConfirmed();
      }
      return loaded && { ...loaded, digits: loaded.record.digits, period: loaded.record.period };
    };
  }

  async function metadata(id: string, now: number) {
    const found = await resolve(id);
    if (found === null) subjectNotFound();
    const [state, left] = await Promise.all([
      stateStore.getVerification(id, found.seed.id),
      recovery.count(id),
    ]);
    return {
      ...subjectMetadata(
        { id, ...found.params, created_at: found.created_at, updated_at: found.updated_at },
        state,
        now,
      ),
      recovery_codes_left: left,
    };
  }

  return new Hono()
    .use(
      "/v1/*",
      v1Auth({
        adminToken: deps.security.adminToken,
        verifyTokens: deps.security.verifyTokens,
        audit,
        throttle: deps.wrongTokens,
      }),
    )
    .use("/v1/*", async (c, next) => {
      // After a key replacement the data key does not unwrap: the assignment's endpoints
      // work, /v1 says why it cannot (logged once by the store, not once per request).
      if (await subjects.status() === "locked") return c.json({ error: LOCKED_MESSAGE }, 503);
      await next();
    })
    .route("/", exportRoutes(deps))
    .route("/", recoveryRoutes(deps, recovery))
    .get("/v1/subjects", admin, async (c) => {
      const limitText = c.req.query("limit") ?? "50";
      const limit = Number(limitText);
      if (!/^\d+$/.test(limitText) || limit < 1 || limit > 200) {
        throw new HTTPException(400, { message: "limit must be a whole number from 1 to 200" });
      }
      const cursor = c.req.query("cursor");
      let page;
      try {
        page = await subjects.list({ limit, ...(cursor ? { cursor } : {}) });
      } catch (error) {
        if (error instanceof StateStoreUnavailableError) throw error;
        throw new HTTPException(400, { message: "Invalid cursor" });
      }
      const now = deps.now();
      // With STATE_STORE=redis the default subject's seed is a record too; it is not listed,
      // as with the seed file.
      const records = page.items.filter((r) => r.id !== DEFAULT_SUBJECT);
      const items = await Promise.all(records.map(async (r) =>
        subjectMetadata(
          r,
          await stateStore.getVerification(r.id, (await subjects.seedOf(r)).id),
          now,
        )
      ));
      return exactJson(c, { subjects: items, next_cursor: page.cursor }, 200);
    })
    .get(
      "/v1/subjects/:id",
      async (c) => exactJson(c, await metadata(subjectId(c), deps.now()), 200),
    )
    .put("/v1/subjects/:id/seed", admin, async (c) => {
      const id = subjectId(c);
      const body = await parseJsonBody(c, PutSeedInput, undefined, {
        exactIntegers: ["counter"],
      });
      checkLabels(body);
      const isDefault = id === DEFAULT_SUBJECT;
      const tokenParams = hotpParams(body, { isDefault });
      if (isDefault && !isAssignmentParams(paramsFromBody(body))) {
        throw new HTTPException(400, { message: DEFAULT_PARAMS_MESSAGE });
      }
      const { plaintext, issuedAt } = await receivePlaintext(c, deps, body, {
        subject: id,
        explainOversize: true,
      });
      function stale(): never {
        return rejectSeed(c, deps, id, "not newer than the seed in force", 409, STALE_SEED);
      }
      // A signed seed must be newer than the last one accepted for the subject: moved with
      // one compare-and-set before the write, in turn with other writes of the seed file.
      const fresher = issuedAt === null ? null : () => marks.advance(id, issuedAt);
      const fromUri = isOtpauthUri(plaintext);
      const reject = (reason: string, status: 400 | 500, message: string) =>
        rejectSeed(c, deps, id, reason, status, message);
      let resolved: ResolvedSeed;
      if (fromUri) {
        try {
          resolved = seedFromOtpauth(plaintext, body);
          if (tokenParams.type === "hotp") {
            resolved.secret.fill(0);
            return reject(
              "otpauth URI refused",
              400,
              "type in the body conflicts with the otpauth URI",
            );
          }
          resolved.params = { ...resolved.params, ...tokenParams };
        } catch (error) {
          if (!(error instanceof SeedPlaintextError)) throw error;
          return reject("otpauth URI refused", 400, error.message);
        }
      } else if ((isDefault ? ASSIGNMENT_SEED_HEX : ANY_SEED_HEX).test(plaintext)) {
        resolved = {
          secret: Uint8Array.fromHex(plaintext),
          params: { ...paramsFromBody(body), ...tokenParams },
        };
      } else {
        return reject("decryption", 500, "Decryption failed");
      }
      let created: boolean;
      if (isDefault) {
        if (!isAssignmentParams(resolved.params)) {
          return reject("otpauth URI refused", 400, DEFAULT_PARAMS_MESSAGE);
        }
        if (resolved.secret.length !== 32) {
          return reject("otpauth URI refused", 400, "The default subject's seed is 32 bytes");
        }
        created = deps.seedStore.seed === null;
        // The sealed form keeps the ciphertext as sent, which must decrypt to the hex seed.
        const outcome = await deps.seedStore.replace(resolved.secret.toHex(), {
          ...(fromUri ? {} : { ciphertext: body.encrypted_seed }),
          ...(fresher === null || issuedAt === null ? {} : { admit: fresher, issuedAt }),
        });
        if (outcome === "stale") stale();
      } else {
        if (fresher !== null && !await fresher()) stale();
        const { outcome } = await subjects.put(id, resolved.secret, resolved.params, {
          now: deps.now(),
          ...(issuedAt === null ? {} : { issuedAt }),
        });
        if (outcome === "stale") stale();
        created = outcome === "created";
      }
      resolved.secret.fill(0);
      audit.record(
        "seed.set",
        auditContext(c, { subject: id, ...(fromUri ? { reason: "otpauth URI" } : {}) }),
      );
      deps.metrics.seedDecrypt("set");
      return exactJson(c, await metadata(id, deps.now()), created ? 201 : 200);
    })
    .post("/v1/subjects/:id/enroll", admin, async (c) => {
      const id = subjectId(c);
      if (id === DEFAULT_SUBJECT) {
        throw new HTTPException(400, {
          message:
            "The default subject takes its seed from POST /decrypt-seed or PUT /v1/subjects/default/seed",
        });
      }
      const body = await parseJsonBody(c, EnrollBody);
      checkLabels(body);
      // Everything that can fail comes before the one atomic write: a secret nobody
      // received is never stored, and a working credential is never replaced by one
      // whose QR code could not be made.
      const secret = crypto.getRandomValues(new Uint8Array(SECRET_BYTES[body.algorithm]));
      try {
        const uri = otpauthUri({ ...body, accountName: body.account_name, secret });
        let qr: string;
        try {
          qr = await qrSvg(uri);
        } catch (error) {
          if (!(error instanceof QrTooLongError)) throw error;
          throw new HTTPException(400, {
            message: `issuer and account_name are too long for a QR code: the otpauth URI is ${
              new TextEncoder().encode(uri).length
            } bytes, more than fits at error correction M`,
          });
        }
        const params: SubjectParams = { ...body };
        const { record } = await subjects.put(id, secret, params, {
          now: deps.now(),
          ifAbsent: c.req.query("replace") !== "true",
        });
        if (record === null) throw new HTTPException(409, { message: "Subject already exists" });
        audit.record("seed.set", auditContext(c, { subject: id, reason: "enrolled" }));
        const metadataNow = subjectMetadata(record, null, deps.now());
        return exactJson(c, { ...metadataNow, otpauth_uri: uri, qr_svg: qr }, 201);
      } finally {
        secret.fill(0);
      }
    })
    .delete("/v1/subjects/:id", admin, async (c) => {
      const id = subjectId(c);
      if (id === DEFAULT_SUBJECT) {
        throw new HTTPException(400, { message: "The default subject cannot be deleted" });
      }
      // Never a subject gone with its recovery codes left for the next one of that id.
      if (!await deleteSubject({ subjects, recovery }, id)) subjectNotFound();
      return c.body(null, 204);
    })
    .post("/v1/subjects/:id/verify", async (c) => {
      const id = subjectId(c);
      const body = await parseJsonBody(c, V1VerifyInput);
      if (body.code !== undefined && body.recovery_code !== undefined) {
        throw new HTTPException(400, { message: "Send code or recovery_code, not both" });
      }
      if (body.recovery_code !== undefined) {
        return answerRecoveryCode(c, deps, recovery, {
          subject: id,
          code: body.recovery_code,
          lookup: lookup(id),
        });
      }
      const code = body.code ?? missingCode();
      const hotpOutcome = await hotpVerification(deps, id, code);
      if (hotpOutcome !== null) return answerVerification(c, deps, hotpOutcome, id);
      const outcome = await verifySubject(code, lookup(id), {
        store: stateStore,
        subject: id,
        policy: deps.security.verifyPolicy,
        now: deps.now(),
      });
      if (outcome === null) subjectNotFound();
      return answerVerification(c, deps, outcome, id);
    })
    .get("/v1/subjects/:id/code", admin, async (c) => {
      const id = subjectId(c);
      const found = await resolve(id);
      if (found === null) subjectNotFound();
      if (found.params.type === "hotp") {
        return exactJson(c, await hotpCode(found.seed, found.params, id, stateStore), 200);
      }
      const { code, validFor } = await generateTotp(found.seed.codeAt, {
        now: deps.now(),
        period: found.params.period,
      });
      return c.json({ code, valid_for: validFor }, 200);
    });
}

const subjectParams = { params: SubjectIdParam };
const errors = (...codes: [number, string][]) =>
  Object.fromEntries(
    codes.map(([code, description]) => [code, jsonContent(ErrorBody, description)]),
  );
const AUTH_ERRORS: [number, string][] = [
  [400, "Invalid subject id or body"],
  [401, "No valid token"],
  [
    503,
    "ADMIN_TOKEN is not set: /v1 is closed; State store unavailable; or the subject store is locked (the data key does not match the service key)",
  ],
];
const ADMIN_ERRORS: [number, string][] = [...AUTH_ERRORS, [
  403,
  "A verify token on an admin route; on PUT, POST and DELETE also: " + CROSS_SITE_DESCRIPTION,
]];
const BODY_TIMEOUT: [number, string] = [408, BODY_TIMEOUT_DESCRIPTION];

/** The OpenAPI description of the /v1 routes. */
export const v1RouteSpecs = [
  createRoute({
    method: "get",
    path: "/v1/subjects",
    tags: ["Subjects (/v1)"],
    summary: "A page of subjects' metadata",
    security: [{ adminToken: [] }],
    request: { query: ListQuery },
    responses: {
      200: jsonContent(SubjectList, "Subjects and the next cursor"),
      ...errors(...ADMIN_ERRORS),
    },
  }),
  createRoute({
    method: "get",
    path: "/v1/subjects/{id}",
    tags: ["Subjects (/v1)"],
    summary: "A subject's metadata (never the seed)",
    security: [{ adminToken: [] }, { verifyToken: [] }],
    request: subjectParams,
    responses: {
      200: jsonContent(SubjectDetailSchema, "Metadata"),
      ...errors(...AUTH_ERRORS, [404, "Subject not found"]),
    },
  }),
  createRoute({
    method: "put",
    path: "/v1/subjects/{id}/seed",
    tags: ["Subjects (/v1)"],
    summary: "Set a subject's seed, sent RSA-OAEP encrypted to the service key",
    security: [{ adminToken: [] }],
    request: {
      ...subjectParams,
      body: { required: true, content: { "application/json": { schema: PutSeedBody } } },
    },
    responses: {
      200: jsonContent(SubjectDetailSchema, "Replaced; replay and throttle state reset"),
      201: jsonContent(SubjectDetailSchema, "Created"),
      ...errors(...ADMIN_ERRORS, BODY_TIMEOUT, [
        409,
        "Stale seed: a signed seed issued over 10 minutes ago, or not newer than the last accepted for the subject",
      ], [500, "Decryption failed"]),
    },
  }),
  createRoute({
    method: "post",
    path: "/v1/subjects/{id}/enroll",
    tags: ["Subjects (/v1)"],
    summary: "Enrol with a new random seed: otpauth URI and QR code for an authenticator app",
    security: [{ adminToken: [] }],
    request: {
      ...subjectParams,
      query: EnrollQuery,
      body: { required: true, content: { "application/json": { schema: EnrollBody } } },
    },
    responses: {
      201: jsonContent(EnrollResponse, "Enrolled; the only time the secret leaves the service"),
      ...errors(
        [
          400,
          "Invalid subject id or body; ':' or a control character in a label; labels too long for a QR code",
        ],
        ...ADMIN_ERRORS.filter(([code]) => code !== 400),
        BODY_TIMEOUT,
        [409, "Subject already exists (use ?replace=true)"],
      ),
    },
  }),
  createRoute({
    method: "delete",
    path: "/v1/subjects/{id}",
    tags: ["Subjects (/v1)"],
    summary: "Delete a subject and its state",
    security: [{ adminToken: [] }],
    request: subjectParams,
    responses: {
      204: { description: "Deleted" },
      ...errors(...ADMIN_ERRORS, [404, "Subject not found"]),
    },
  }),
  createRoute({
    method: "post",
    path: "/v1/subjects/{id}/verify",
    tags: ["Subjects (/v1)"],
    summary: "Check a code, or a recovery code, for a subject, once",
    description: "A TOTP code follows the rules of /verify-2fa. A recovery code works once; a " +
      "wrong one counts as a failed verification. Both or neither of code and recovery_code: 400.",
    security: [{ adminToken: [] }, { verifyToken: [] }],
    request: {
      ...subjectParams,
      body: { required: true, content: { "application/json": { schema: V1VerifyBody } } },
    },
    responses: {
      200: jsonContent(
        V1VerifyResponse,
        "valid: true once for a fresh code or an unused recovery code",
      ),
      ...errors(
        ...AUTH_ERRORS,
        [403, CROSS_SITE_DESCRIPTION],
        BODY_TIMEOUT,
        [
          404,
          "Subject not found",
        ],
        [409, "Subject not confirmed: a console enrolment waiting for its first code"],
        [
          429,
          "Too many attempts (Retry-After)",
        ],
      ),
    },
  }),
  createRoute({
    method: "get",
    path: "/v1/subjects/{id}/code",
    tags: ["Subjects (/v1)"],
    summary: "The subject's current code, for machine clients and tests",
    security: [{ adminToken: [] }],
    request: subjectParams,
    responses: {
      200: jsonContent(
        z.union([GenerateResponse, HotpCodeResponse]),
        "The current code (TOTP), or the code of the counter in force (HOTP)",
      ),
      ...errors(...ADMIN_ERRORS, [404, "Subject not found"]),
    },
  }),
  ...exportRouteSpecs,
  ...recoveryRouteSpecs,
];
