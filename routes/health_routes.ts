/**
 * Probes: `GET /health` (liveness: the process answers HTTP) and `GET /ready`
 * (readiness: the key is loaded, the data and log folders are writable and the state
 * store answers). A missing seed is reported but does not make the service unready: a
 * fresh service is ready to receive one.
 *
 * @module
 */
import { Hono } from "hono";
import { createRoute } from "@hono/zod-openapi";
import { join } from "node:path";
import type { RouteDeps } from "./route_deps.ts";
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "../store/file_modes.ts";
import { jsonContent, ReadyResponse, StatusOk } from "./schemas.ts";

/** The OpenAPI description of these routes. */
export const healthRouteSpecs = [
  createRoute({
    method: "get",
    path: "/health",
    tags: ["Probes"],
    summary: "Liveness: the process answers HTTP",
    responses: { 200: jsonContent(StatusOk, "Alive") },
  }),
  createRoute({
    method: "get",
    path: "/ready",
    tags: ["Probes"],
    summary: "Readiness: key loaded, folders writable, state store answering",
    responses: {
      200: jsonContent(ReadyResponse, "Ready; the seed is reported but not required"),
      503: jsonContent(ReadyResponse, "Not ready; the failing checks say why"),
    },
  }),
];

/**
 * The probe's content: an empty file needs no free block, so a full disk passed the check
 * while every write of a code or seed failed. 512 bytes need one block, like those writes.
 */
const PROBE_BYTES = new Uint8Array(512);

/** Options for {@linkcode writable}. */
export interface WritableOptions {
  /** Writes the probe. @default {Deno.writeFile} */
  writeFile?: (path: string, data: Uint8Array, options: Deno.WriteFileOptions) => Promise<void>;
}

/**
 * Writes and removes a small probe file: proves the folder exists, is writable and has room.
 * A missing folder is created owner-only (0700), as the service's folders are documented.
 */
export async function writable(dir: string, options: WritableOptions = {}): Promise<boolean> {
  const { writeFile = Deno.writeFile } = options;
  const probe = join(dir, `.ready-${crypto.randomUUID()}`);
  try {
    await Deno.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await writeFile(probe, PROBE_BYTES, { mode: PRIVATE_FILE_MODE });
    await Deno.remove(probe);
    return true;
  } catch {
    // A full disk may leave the probe created but empty.
    await Deno.remove(probe).catch(() => {});
    return false;
  }
}

/** The checks of `GET /ready`: each `ok` or `error`, the seed `loaded` or `absent`. */
export interface ReadinessChecks {
  private_key: "ok" | "error";
  data_dir: "ok" | "error";
  cron_dir: "ok" | "error";
  state_store: "ok" | "error";
  subject_store: "ok" | "error";
  audit_log: "ok" | "error";
  seed: "loaded" | "absent";
}

/** Runs the readiness checks of `GET /ready` (the admin console's service page shows them). */
export async function readinessChecks(
  deps: RouteDeps,
): Promise<{ ready: boolean; checks: ReadinessChecks }> {
  const [dataDir, cronDir, stateStore, subjectStore] = await Promise.all([
    writable(deps.paths.dataDir),
    writable(deps.paths.cronDir),
    deps.stateStore.ping(),
    // Locked when the data key does not unwrap with the service key (a replaced key);
    // foreign when the state store holds another replica's new data key (a reset store).
    deps.subjects.status().then(
      (status) => status !== "locked" && status !== "foreign",
      () => false,
    ),
  ]);
  const result = (ok: boolean) => ok ? "ok" as const : "error" as const;
  const checks: ReadinessChecks = {
    private_key: result(deps.privateKey.type === "private"),
    data_dir: result(dataDir),
    cron_dir: result(cronDir),
    state_store: result(stateStore),
    subject_store: result(subjectStore),
    // A committed change is never undone for it, but the trail has a gap: say so.
    audit_log: result(deps.audit.healthy()),
    seed: deps.seedStore.seed === null ? "absent" : "loaded",
  };
  // The seed is reported but not required: a fresh service is ready to receive one.
  const ready = Object.entries(checks).every(([name, value]) => name === "seed" || value === "ok");
  return { ready, checks };
}

/** The probe routes. */
export function healthRoutes(deps: RouteDeps): Hono {
  return new Hono()
    .get("/health", (c) => c.json({ status: "ok" as const }, 200))
    .get("/ready", async (c) => {
      const { ready, checks } = await readinessChecks(deps);
      return c.json(
        { status: ready ? "ready" as const : "not ready" as const, checks },
        ready ? 200 : 503,
      );
    });
}
