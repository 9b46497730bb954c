/**
 * Finding the subject a /v1 route names, shared by the route files: the id check, the
 * 404, and the rule that the subject `default` is the assignment's seed file.
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { DEFAULT_SUBJECT } from "../store/state_store.ts";
import type { Seed } from "../store/seed_store.ts";
import type { SubjectParams } from "../store/subject_store.ts";
import { DEFAULT_SUBJECT_PARAMS } from "../store/seed_source.ts";
import type { RouteDeps } from "./route_deps.ts";
import { RESERVED_ID_PREFIX_MESSAGE, SUBJECT_ID } from "./v1_schemas.ts";

/** The default subject's parameters: the assignment's SHA1, 6 digits, 30 seconds. */
export const DEFAULT_PARAMS: SubjectParams = DEFAULT_SUBJECT_PARAMS;

/** The `:id` path parameter, checked. @throws {HTTPException} 400 */
export function subjectId(c: Context): string {
  const id = c.req.param("id") ?? "";
  if (id.startsWith("_")) throw new HTTPException(400, { message: RESERVED_ID_PREFIX_MESSAGE });
  if (!SUBJECT_ID.test(id)) throw new HTTPException(400, { message: "Invalid subject id" });
  return id;
}

/**
 * Reads which incarnation of subject `id` exists now: its `created_at` (kept when its seed is
 * replaced, new when it is deleted and enrolled again), `"default"` for the assignment's seed
 * once there is one, or `null`. For {@linkcode RecoveryCodes.generate}.
 */
export function subjectIncarnation(
  deps: Pick<RouteDeps, "seedStore" | "subjects">,
  id: string,
): () => Promise<string | null> {
  if (id === DEFAULT_SUBJECT) {
    return () => Promise.resolve(deps.seedStore.seed === null ? null : DEFAULT_SUBJECT);
  }
  return async () => (await deps.subjects.get(id))?.created_at ?? null;
}

/** @throws {HTTPException} 404 "Subject not found" */
export function subjectNotFound(): never {
  throw new HTTPException(404, { message: "Subject not found" });
}

/**
 * The subject was enrolled in the admin console and its first code was not confirmed yet:
 * it does not count, so it verifies nothing (no code used up, no failure counted).
 *
 * @throws {HTTPException} 409
 */
export function subjectNotConfirmed(): never {
  throw new HTTPException(409, {
    message: "Subject not confirmed: confirm its enrolment with a first code in the admin console",
  });
}

/** A subject's loaded seed, parameters and times. */
export interface ResolvedSubject {
  seed: Seed;
  params: SubjectParams;
  created_at: string | null;
  updated_at: string | null;
}

/** A subject's seed and parameters, or `null`; the default subject is the seed file. */
export async function resolveSubject(
  deps: Pick<RouteDeps, "seedStore" | "subjects">,
  id: string,
): Promise<ResolvedSubject | null> {
  if (id === DEFAULT_SUBJECT) {
    const seed = deps.seedStore.seed;
    return seed === null
      ? null
      : { seed, params: DEFAULT_PARAMS, created_at: null, updated_at: null };
  }
  const loaded = await deps.subjects.load(id);
  return loaded === null ? null : {
    seed: loaded.seed,
    params: loaded.record,
    created_at: loaded.record.created_at,
    updated_at: loaded.record.updated_at,
  };
}
