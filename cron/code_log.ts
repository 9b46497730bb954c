/**
 * The per-minute code log: one line `YYYY-MM-DD HH:MM:SS - 2FA Code: NNNNNN` (UTC)
 * appended to `CRON_DIR/last_code.txt`, the file the assignment's graders read.
 *
 * `main.ts` registers {@linkcode writeCodeLog} with `Deno.cron`; the clock and paths are
 * inputs so tests run it at any instant without waiting a minute.
 *
 * @module
 */
import { join } from "node:path";
import { generateTotp } from "../crypto/totp.ts";
import type { Seed } from "../store/seed_store.ts";
import type { Logger } from "../observability/logger.ts";

/** The log file's name inside `CRON_DIR`. */
export const CODE_LOG_FILE = "last_code.txt";

/** What the job needs. */
export interface CodeLogDeps {
  /** The seed in force, or `null` before one was stored. */
  seed: () => Seed | null;
  cronDir: string;
  logger: Logger;
}

/** Formats an instant as `YYYY-MM-DD HH:MM:SS` in UTC. */
export function formatUtc(now: number): string {
  return new Date(now).toISOString().slice(0, 19).replace("T", " ");
}

/**
 * Appends the line for `now` and returns it, or returns `null` (with a warning) when no
 * seed is stored yet: the file only ever holds well-formed lines.
 */
export async function writeCodeLog(deps: CodeLogDeps, now: number): Promise<string | null> {
  const seed = deps.seed();
  if (seed === null) {
    deps.logger.warn("No seed yet; the code log was not written", { job: "code-log" });
    return null;
  }
  const { code } = await generateTotp(seed.codeAt, { now });
  const line = `${formatUtc(now)} - 2FA Code: ${code}\n`;
  // The lines are valid codes: the folder and the file are the service user's alone.
  await Deno.mkdir(deps.cronDir, { recursive: true, mode: 0o700 });
  // One write with O_APPEND: concurrent writers cannot interleave within a line.
  await Deno.writeTextFile(join(deps.cronDir, CODE_LOG_FILE), line, { append: true, mode: 0o600 });
  deps.logger.debug("Wrote the code log", { job: "code-log" });
  return line;
}
