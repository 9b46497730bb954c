/**
 * Private file modes for everything the service writes: the seed, the state store
 * (`state.kv` and SQLite's `-wal` and `-shm` beside it), the code log (valid codes) and
 * the audit log. The service creates its own files 0600, but Deno KV creates `state.kv`
 * with the process umask (0644 by default; changing the umask needs `--allow-sys`), and
 * SQLite gives `-wal` and `-shm` the mode of `state.kv`. `main.ts` calls
 * {@linkcode tightenModes} once at start, right after the state store opens and before
 * anything secret is written to it; it also fixes what an older version left readable.
 *
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../observability/logger.ts";

/** Mode of the service's folders: owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of the service's files: owner read and write. */
export const PRIVATE_FILE_MODE = 0o600;

/** What {@linkcode tightenModes} makes private. */
export interface PrivatePaths {
  /**
   * Folders made 0700, with every regular file inside (at any depth) made 0600. A folder
   * given here may be a symlink to the real one; links inside are left alone.
   */
  dirs: readonly string[];
  /** Single files made 0600 when they exist and are regular files. */
  files: readonly string[];
}

/** Options for {@linkcode tightenModes}. */
export interface TightenModesOptions {
  /** Receives one warning per path whose mode cannot be changed (another owner). */
  logger: Logger;
}

/**
 * Makes the paths private. Missing paths are skipped; so are symlinks, devices, pipes and
 * sockets (`AUDIT_LOG_FILE=/dev/stdout` must not be changed for the whole machine). A
 * path that cannot be changed is reported and left alone: a folder owned by someone else
 * must not stop the service.
 *
 * @returns the paths whose mode was changed, in the order visited
 */
export async function tightenModes(
  paths: PrivatePaths,
  options: TightenModesOptions,
): Promise<string[]> {
  const changed: string[] = [];
  async function tighten(path: string, info: Deno.FileInfo): Promise<void> {
    const wanted = info.isDirectory ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
    if (((info.mode ?? 0) & 0o777) === wanted) return;
    try {
      await Deno.chmod(path, wanted);
      changed.push(path);
    } catch (error) {
      options.logger.warn("Cannot make a file private; other local users may read it", {
        path,
        mode: ((info.mode ?? 0) & 0o777).toString(8),
        reason: error instanceof Error ? error.name : "unknown",
      });
    }
  }
  async function walk(dir: string, top: boolean): Promise<void> {
    // DATA_DIR itself may be a link to a volume (`data -> /mnt/volume/data`): it is the
    // folder the operator named, so it is followed; a link found inside it never is.
    const info = top ? await statOrNull(dir) : await lstatOrNull(dir);
    if (info === null || !info.isDirectory) return;
    await tighten(dir, info);
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path, false);
      else if (entry.isFile) {
        const child = await lstatOrNull(path);
        if (child !== null) await tighten(path, child);
      }
    }
  }
  for (const dir of paths.dirs) await walk(dir, true);
  for (const file of paths.files) {
    const info = await lstatOrNull(file);
    if (info?.isFile) await tighten(file, info);
  }
  return changed;
}

async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  return await orNull(() => Deno.lstat(path));
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  return await orNull(() => Deno.stat(path));
}

async function orNull(info: () => Promise<Deno.FileInfo>): Promise<Deno.FileInfo | null> {
  try {
    return await info();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
