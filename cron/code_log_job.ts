/**
 * The per-minute job that `main.ts` registers with `Deno.cron`: with `CRON_LEASE`, only the
 * replica that takes this minute's lease writes; then the code log line, and the metric of
 * the run. A failure is logged and counted, never thrown into the cron scheduler.
 *
 * @module
 */
import type { Metrics } from "../observability/metrics.ts";
import { type CodeLogDeps, writeCodeLog } from "./code_log.ts";

/** What the job needs beyond the code log's own dependencies. */
export interface CodeLogJobDeps extends CodeLogDeps {
  metrics: Pick<Metrics, "codeLogRun">;
  /**
   * Takes a named lease for `ttlMs` (the shared state store's), or `null` when every
   * process writes (one replica, or replicas with logs of their own).
   */
  tryLease: ((name: string, ttlMs: number) => Promise<boolean>) | null;
}

/**
 * Runs the job for the minute of `now` (milliseconds). A replica without a seed does not
 * take the lease, so it never keeps one that has a seed from writing. When the shared store
 * cannot grant the lease, the replica writes anyway: a minute logged twice (the same line)
 * is better than a minute missing from the file the graders read.
 */
export async function runCodeLogJob(deps: CodeLogJobDeps, now: number): Promise<void> {
  if (deps.seed() === null) {
    deps.logger.warn("No seed yet; the code log was not written", { job: "code-log" });
    deps.metrics.codeLogRun("skipped", now);
    return;
  }
  if (deps.tryLease && !await takeLease(deps, now)) return;
  try {
    const line = await writeCodeLog(deps, now);
    deps.metrics.codeLogRun(line === null ? "skipped" : "written", now);
  } catch (error) {
    deps.metrics.codeLogRun("failed", now);
    deps.logger.error("The code log could not be written", {
      job: "code-log",
      error: error instanceof Error ? error.name : "unknown",
    });
  }
}

/** The minute's lease; `true` as well when the store cannot be asked (see above). */
async function takeLease(deps: CodeLogJobDeps, now: number): Promise<boolean> {
  try {
    return await deps.tryLease!(`code-log:${Math.floor(now / 60_000)}`, 120_000);
  } catch (error) {
    deps.logger.warn("The code log lease could not be taken; writing without it", {
      job: "code-log",
      error: error instanceof Error ? error.name : "unknown",
    });
    return true;
  }
}
