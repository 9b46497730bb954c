/**
 * What the console shows of a subject: the API's metadata (store/subject_store.ts's
 * `subjectMetadata`), the failure count an unlock clears, and the recovery codes left.
 * Never the seed.
 *
 * @module
 */
import { DEFAULT_SUBJECT } from "../../store/state_store.ts";
import type { Seed } from "../../store/seed_store.ts";
import {
  type SubjectMetadata,
  subjectMetadata,
  type SubjectRecord,
} from "../../store/subject_store.ts";
import type { RouteDeps } from "../route_deps.ts";
import { DEFAULT_PARAMS } from "../subject_lookup.ts";

/** A subject as the console shows it. */
export interface SubjectView extends SubjectMetadata {
  /** Consecutive failed verifications (of the seed in force). */
  failures: number;
  /** Until when it is locked, in milliseconds; `null` when it is not. */
  lockedUntilMs: number | null;
  /** The last accepted use: the time step's start (TOTP) or the counter value (HOTP). */
  lastUse: { kind: "time"; ms: number } | { kind: "counter"; value: bigint } | null;
  recoveryCodesLeft: number;
}

type ViewDeps = Pick<RouteDeps, "stateStore" | "subjects" | "seedStore" | "now">;

/** The view of a stored subject record. */
export async function viewOfRecord(deps: ViewDeps, record: SubjectRecord): Promise<SubjectView> {
  return await view(deps, record, await deps.subjects.seedOf(record));
}

/** The view of the default subject (the assignment's seed), or `null` before it has one. */
export async function viewOfDefault(deps: ViewDeps): Promise<SubjectView | null> {
  const seed = deps.seedStore.seed;
  if (seed === null) return null;
  return await view(
    deps,
    { id: DEFAULT_SUBJECT, ...DEFAULT_PARAMS, created_at: null, updated_at: null },
    seed,
  );
}

/** The view of any subject by id, or `null` when there is none. */
export async function viewOf(deps: ViewDeps, id: string): Promise<SubjectView | null> {
  if (id === DEFAULT_SUBJECT) return await viewOfDefault(deps);
  const record = await deps.subjects.get(id);
  return record === null ? null : await viewOfRecord(deps, record);
}

async function view(
  deps: ViewDeps,
  record: Parameters<typeof subjectMetadata>[0],
  seed: Seed,
): Promise<SubjectView> {
  const [state, recoveryCodesLeft] = await Promise.all([
    deps.stateStore.getVerification(record.id, seed.id),
    deps.stateStore.countRecoveryCodes(record.id),
  ]);
  const now = deps.now();
  const metadata = subjectMetadata(record, state, now);
  let lastUse: SubjectView["lastUse"] = null;
  if (metadata.last_accepted_step !== null) {
    lastUse = { kind: "time", ms: metadata.last_accepted_step * metadata.period * 1000 };
  } else if (metadata.counter !== null && state !== null && state.lastStep >= 0) {
    lastUse = { kind: "counter", value: metadata.counter - 1n };
  }
  return {
    ...metadata,
    failures: state?.failures ?? 0,
    lockedUntilMs: metadata.locked ? state!.lockedUntil : null,
    lastUse,
    recoveryCodesLeft,
  };
}
