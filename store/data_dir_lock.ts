/**
 * One process per `DATA_DIR`: an exclusive advisory lock (`flock`) on `DATA_DIR/.lock`,
 * held for the life of the process. Two services on one folder would each keep their own
 * seed in memory and both write the code log every minute; the second one refuses to
 * start instead. The kernel drops the lock when the process ends, even after SIGKILL, so
 * a crash never leaves a stale lock behind.
 *
 * @module
 */
import { join } from "node:path";

/** The lock file's name inside `DATA_DIR`. */
export const LOCK_FILE = ".lock";

/** Another process holds the lock; the message names the folder and what to do. */
export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
}

/** `DATA_DIR` cannot be created or opened; the message names it and what to do. */
export class DataDirUnusableError extends Error {
  override name = "DataDirUnusableError";
}

/** A held lock. */
export interface DataDirLock {
  /** Path of the lock file. */
  readonly path: string;
  /** Releases the lock (the process ending does too). */
  release(): void;
}

/**
 * Creates `dataDir` (mode 0700) if needed and takes its lock without waiting.
 *
 * @throws {DataDirLockedError} when another process (or another open of the same file in
 *   this process) holds it
 * @throws {DataDirUnusableError} when the folder cannot be made or written (a file in the
 *   way, permissions)
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE);
  let file: Deno.FsFile;
  try {
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
    file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
  } catch (error) {
    throw new DataDirUnusableError(unusableMessage(dataDir, error), { cause: error });
  }
  let locked: boolean;
  try {
    locked = await file.tryLock(true);
  } catch (error) {
    file.close();
    throw error;
  }
  if (!locked) {
    file.close();
    throw new DataDirLockedError(
      `DATA_DIR "${dataDir}" is in use by another pki-2fa process (it holds ${path}); ` +
        "stop that process, or give this one its own DATA_DIR",
    );
  }
  return {
    path,
    release() {
      file.close();
    },
  };
}

function unusableMessage(dataDir: string, error: unknown): string {
  if (error instanceof Deno.errors.AlreadyExists || error instanceof Deno.errors.NotADirectory) {
    return `DATA_DIR "${dataDir}" is not a folder (a file is in the way); move the file, or ` +
      "set DATA_DIR to a folder";
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `DATA_DIR "${dataDir}" cannot be created or written (permission denied); let the ` +
      "service's user write it, or choose another DATA_DIR";
  }
  return `DATA_DIR "${dataDir}" cannot be used: ${
    error instanceof Error ? error.name : "unknown error"
  }`;
}
