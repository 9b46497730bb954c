/**
 * Crash-safe file replacement: after a crash at any moment the file holds either its
 * old content or the new one, never a mix or nothing.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/** Options for {@linkcode writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Permission bits of the new file. @default {0o600} */
  mode?: number;
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder (so the rename
 * stays on one file system), fsync, rename over the target, then fsync of the folder so
 * the rename itself survives a power loss.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const dir = dirname(path);
  const suffix = crypto.getRandomValues(new Uint8Array(6)).toHex();
  const temp = join(dir, `.${basename(path)}.${suffix}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const file = await Deno.open(temp, { write: true, createNew: true, mode: options.mode ?? 0o600 });
  try {
    try {
      for (let written = 0; written < bytes.length;) {
        written += await file.write(bytes.subarray(written));
      }
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  await syncDirectory(dir);
}

/** fsyncs a folder so that renames and new entries in it are durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}
