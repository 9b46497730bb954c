/**
 * HOTP (RFC 4226) subjects on /v1: the body fields of `PUT /v1/subjects/{id}/seed` that make
 * a subject counter-based, its verification and current code, and
 * `POST /v1/subjects/{id}/resync` (RFC 4226 §7.4). The rules are store/hotp_verifier.ts's.
 *
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { createRoute, z } from "@hono/zod-openapi";
import { MAX_HOTP_COUNTER } from "../crypto/hotp_window.ts";
import type { Seed } from "../store/seed_store.ts";
import {
  DEFAULT_SUBJECT,
  type StateStore,
  StateStoreUnavailableError,
} from "../store/state_store.ts";
import { type LoadedSubject, subjectMetadata, type SubjectParams } from "../store/subject_store.ts";
import {
  type HotpCredential,
  nextCounter,
  resyncHotpSubject,
  type ResyncOutcome,
  verifyHotp,
} from "../store/hotp_verifier.ts";
import type { VerifyOutcome } from "../store/verifier.ts";
import { adminOnly } from "../middleware/v1_auth.ts";
import { auditContext } from "../middleware/context.ts";
import { parseJsonBody } from "../middleware/json_body.ts";
import { setRetryAfter } from "../middleware/retry_after.ts";
import { exactJson } from "./exact_json.ts";
import { resolveSubject, subjectId, subjectNotFound } from "./subject_lookup.ts";
import type { RouteDeps } from "./route_deps.ts";
import { ErrorBody, jsonContent } from "./schemas.ts";
import { SubjectIdParam, SubjectMetadataSchema } from "./v1_schemas.ts";

/** The HOTP and device fields a `PUT .../seed` body may carry. */
export interface TokenFields {
  type?: "totp" | "hotp" | undefined;
  counter?: bigint | string | undefined;
  serial_no?: string | undefined;
  manufacturer?: string | undefined;
}

/**
 * The record fields of a PUT body's `type`, `counter`, `serial_no` and `manufacturer`.
 *
 * @throws {HTTPException} 400 for a counter on a TOTP subject, a counter above 2^64 - 1, or
 *   HOTP for the default subject (the assignment's seed is TOTP)
 */
export function hotpParams(
  body: TokenFields,
  options: { isDefault: boolean },
): Partial<SubjectParams> {
  const type = body.type ?? "totp";
  if (type === "totp" && body.counter !== undefined) {
    throw new HTTPException(400, { message: "counter is only for type hotp" });
  }
  if (options.isDefault && (type === "hotp" || body.serial_no || body.manufacturer)) {
    throw new HTTPException(400, { message: "The default subject is TOTP, without a device" });
  }
  const counter = BigInt(body.counter ?? 0n);
  if (counter < 0n || counter > MAX_HOTP_COUNTER) {
    throw new HTTPException(400, { message: "counter must be from 0 to 18446744073709551615" });
  }
  return {
    ...(type === "hotp" ? { type, counter: counter.toString() } : {}),
    ...(body.serial_no ? { serial_no: body.serial_no } : {}),
    ...(body.manufacturer ? { manufacturer: body.manufacturer } : {}),
  };
}

/** What HOTP verification needs of a loaded subject. */
export function hotpCredential(loaded: LoadedSubject): HotpCredential {
  const { record, seed, guard } = loaded;
  return { seed, baseCounter: BigInt(record.counter ?? "0"), digits: record.digits, guard };
}

/** Replacements in a row after which an attempt gives up (a record replaced in a loop). */
const MAX_RELOADS = 3;

type Settled<T> = Exclude<T, { kind: "stale" | "missing" }>;

/**
 * Runs `attempt` on the subject's HOTP credential: from this process's cache first, read
 * again when the store says another process replaced the record (the guard of
 * store/verifier.ts's `verifySubject`).
 *
 * @returns `null` when the subject is not an HOTP subject (or does not exist)
 */
async function withHotpSubject<T extends { kind: string }>(
  deps: Pick<RouteDeps, "subjects">,
  id: string,
  attempt: (credential: HotpCredential, loaded: LoadedSubject) => Promise<T>,
): Promise<{ outcome: Settled<T>; loaded: LoadedSubject } | null> {
  if (id === DEFAULT_SUBJECT) return null;
  for (let reload = 0; reload <= MAX_RELOADS; reload++) {
    const loaded = (reload > 0 ? undefined : deps.subjects.cached(id)) ??
      await deps.subjects.load(id);
    if (loaded === null || loaded.record.type !== "hotp") return null;
    const outcome = await attempt(hotpCredential(loaded), loaded);
    if (outcome.kind !== "stale" && outcome.kind !== "missing") {
      return { outcome: outcome as Settled<T>, loaded };
    }
  }
  throw new StateStoreUnavailableError({
    cause: new Error("The subject kept changing during the verification"),
  });
}

/**
 * Verifies `code` for an HOTP subject; `null` when `id` is not one (the TOTP path then
 * answers, including the 404).
 */
export async function hotpVerification(
  deps: Pick<RouteDeps, "subjects" | "stateStore" | "security" | "now">,
  id: string,
  code: string,
): Promise<VerifyOutcome | null> {
  const done = await withHotpSubject(deps, id, (credential) =>
    verifyHotp(credential, code, {
      store: deps.stateStore,
      subject: id,
      policy: deps.security.verifyPolicy,
      now: deps.now(),
    }));
  return done === null ? null : done.outcome;
}

/** The code for the counter in force, without moving it. */
export async function hotpCode(
  seed: Seed,
  params: SubjectParams,
  subject: string,
  store: StateStore,
): Promise<{ code: string; counter: bigint }> {
  const state = await store.getVerification(subject, seed.id);
  const counter = nextCounter(BigInt(params.counter ?? "0"), state);
  if (counter > MAX_HOTP_COUNTER) {
    throw new HTTPException(409, { message: "The counter has reached 2^64 - 1" });
  }
  return { code: await seed.codeAt(counter), counter };
}

/** `GET /v1/subjects/{id}/code` for an HOTP subject. */
export const HotpCodeResponse = z.object({
  code: z.string().regex(/^\d{6,8}$/).openapi({ example: "755224" }),
  counter: z.int().openapi({
    description: "The counter the code is for (not moved); an exact integer up to 2^64 - 1",
    example: 0,
  }),
}).openapi("HotpCode");

const ResyncBody = z.object({
  codes: z.tuple([z.string().max(16), z.string().max(16)]).openapi({
    description: "Two consecutive codes from the token, in order",
    example: ["755224", "287082"],
  }),
}).openapi("ResyncRequest");

/** `POST /v1/subjects/{id}/resync`. */
export function hotpRoutes(deps: RouteDeps): Hono {
  return new Hono().post("/v1/subjects/:id/resync", adminOnly(deps.audit), async (c) => {
    const id = subjectId(c);
    const { codes } = await parseJsonBody(
      c,
      ResyncBody,
      'Expected {"codes": ["code1", "code2"]}',
    );
    const done = await withHotpSubject<ResyncOutcome>(
      deps,
      id,
      (credential) =>
        resyncHotpSubject(credential, ...codes, {
          store: deps.stateStore,
          subject: id,
          policy: deps.security.verifyPolicy,
          now: deps.now(),
        }),
    );
    if (done === null) {
      if (await resolveSubject(deps, id) === null) subjectNotFound();
      throw new HTTPException(400, { message: "Only HOTP subjects are resynchronised" });
    }
    const { outcome, loaded } = done;
    if (outcome.kind === "malformed") {
      throw new HTTPException(400, {
        message: `codes must be two codes of ${loaded.record.digits} digits`,
      });
    }
    const reason = outcome.kind === "resynced" ? `counter ${outcome.counter}` : outcome.kind;
    deps.audit.record("seed.resync", auditContext(c, { subject: id, reason }));
    if (outcome.kind === "locked") {
      setRetryAfter(c, outcome.retryAfterMs);
      return c.json({ error: "Too many attempts" }, 429);
    }
    if (outcome.kind === "not-found") {
      throw new HTTPException(409, {
        message: "The codes are not two consecutive codes within the next 100 counter values",
      });
    }
    const state = await deps.stateStore.getVerification(id, loaded.seed.id);
    return exactJson(c, subjectMetadata(loaded.record, state, deps.now()), 200);
  });
}

/** The OpenAPI description of {@linkcode hotpRoutes}. */
export const hotpRouteSpecs = [
  createRoute({
    method: "post",
    path: "/v1/subjects/{id}/resync",
    tags: ["Subjects (/v1)"],
    summary: "Resynchronise an HOTP subject's counter from two consecutive codes (RFC 4226 §7.4)",
    security: [{ adminToken: [] }],
    request: {
      params: SubjectIdParam,
      body: { required: true, content: { "application/json": { schema: ResyncBody } } },
    },
    responses: {
      200: jsonContent(SubjectMetadataSchema, "Resynchronised: counter is after the two codes"),
      400: jsonContent(
        ErrorBody,
        "Invalid id or body, codes that are not digits of the subject's length, or not an HOTP subject",
      ),
      401: jsonContent(ErrorBody, "No valid token"),
      403: jsonContent(ErrorBody, "A verify token on an admin route"),
      404: jsonContent(ErrorBody, "Subject not found"),
      409: jsonContent(ErrorBody, "The codes were not found within the next 100 counter values"),
      429: jsonContent(ErrorBody, "Too many attempts (Retry-After)"),
    },
  }),
];
