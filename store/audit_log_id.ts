/**
 * The id of this process's audit chain, kept in `DATA_DIR/audit_log_id` so the chain
 * continues across restarts (a new one when the old chain ended with lines no checkpoint
 * sealed: store/audit_trail.ts). Each replica has its own `DATA_DIR` (the folder lock allows
 * one process per folder), hence its own chain: replicas writing one audit file share no
 * lock and no counter, and a verifier follows each chain by its `log` field.
 *
 * @module
 */
import { join } from "node:path";
import { isLogId } from "../observability/audit_checkpoint.ts";
import { KeyFileError } from "./key_files.ts";

/** The file name inside `DATA_DIR`. */
export const AUDIT_LOG_ID_FILE = "audit_log_id";

/**
 * Reads the log id, creating a random one (16 hex digits, mode 0600) on first use.
 *
 * @throws {KeyFileError} when the file holds something else or cannot be written
 */
export async function loadAuditLogId(dataDir: string): Promise<string> {
  const path = join(dataDir, AUDIT_LOG_ID_FILE);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw unusable(path, error);
    const id = crypto.getRandomValues(new Uint8Array(8)).toHex();
    try {
      await Deno.writeTextFile(path, id + "\n", { createNew: true, mode: 0o600 });
    } catch (error) {
      throw unusable(path, error);
    }
    return id;
  }
  const id = text.trim();
  if (!isLogId(id)) {
    throw new KeyFileError(
      `"${path}" does not hold an audit log id (1-64 of [0-9a-z-]); remove it to start a new chain`,
    );
  }
  return id;
}

/**
 * Replaces the log id with a new random one (written beside, then renamed over, mode 0600):
 * the chain of the old id ended with lines no checkpoint sealed, and a new chain must not
 * sign over them (see store/audit_trail.ts).
 *
 * @throws {KeyFileError} when the file cannot be written
 */
export async function startNewAuditLogId(dataDir: string): Promise<string> {
  const path = join(dataDir, AUDIT_LOG_ID_FILE);
  const id = crypto.getRandomValues(new Uint8Array(8)).toHex();
  const temporary = `${path}.${id}.tmp`;
  try {
    await Deno.writeTextFile(temporary, id + "\n", { createNew: true, mode: 0o600 });
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw unusable(path, error);
  }
  return id;
}

function unusable(path: string, error: unknown): KeyFileError {
  return new KeyFileError(
    `Cannot read or create "${path}": ${error instanceof Error ? error.message : String(error)}`,
  );
}
