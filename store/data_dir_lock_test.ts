import assert from "node:assert/strict";
import { DataDirLockedError, LOCK_FILE, lockDataDir } from "./data_dir_lock.ts";
import { withTempDir } from "../testing/temp_dir.ts";

Deno.test("lockDataDir() refuses a second holder, naming the folder, and frees the lock on release", async () => {
  await withTempDir(async (dir) => {
    const dataDir = `${dir}/data`;
    const first = await lockDataDir(dataDir);
    assert.equal(first.path, `${dataDir}/${LOCK_FILE}`);
    assert.equal((await Deno.stat(dataDir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(first.path)).mode! & 0o777, 0o600);
    await assert.rejects(
      () => lockDataDir(dataDir),
      (error: unknown) =>
        error instanceof DataDirLockedError &&
        error.message ===
          `DATA_DIR "${dataDir}" is in use by another pki-2fa process (it holds ${dataDir}/.lock); ` +
            "stop that process, or give this one its own DATA_DIR",
    );
    first.release();
    const again = await lockDataDir(dataDir);
    again.release();
  });
});
