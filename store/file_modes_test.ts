import assert from "node:assert/strict";
import { tightenModes } from "./file_modes.ts";
import { withTempDir } from "../testing/temp_dir.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";

async function modeOf(path: string): Promise<number> {
  return (await Deno.lstat(path)).mode! & 0o777;
}

Deno.test("tightenModes() makes an older install's files 0600 and folders 0700, and leaves links alone", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/data/nested`, { recursive: true });
    await Deno.chmod(`${dir}/data`, 0o755);
    await Deno.chmod(`${dir}/data/nested`, 0o777);
    for (const name of ["data/state.kv", "data/state.kv-wal", "data/nested/x", "audit.log"]) {
      await Deno.writeTextFile(`${dir}/${name}`, "x");
      await Deno.chmod(`${dir}/${name}`, 0o644);
    }
    await Deno.writeTextFile(`${dir}/outside`, "x");
    await Deno.chmod(`${dir}/outside`, 0o644);
    await Deno.symlink(`${dir}/outside`, `${dir}/data/link`);
    const logger = createMemoryLogger();
    const changed = await tightenModes({
      dirs: [`${dir}/data`, `${dir}/missing`],
      files: [`${dir}/audit.log`, `${dir}/missing.log`],
    }, { logger });
    assert.deepEqual(changed.toSorted(), [
      `${dir}/audit.log`,
      `${dir}/data`,
      `${dir}/data/nested`,
      `${dir}/data/nested/x`,
      `${dir}/data/state.kv`,
      `${dir}/data/state.kv-wal`,
    ]);
    for (const path of changed) {
      assert.equal(
        await modeOf(path),
        path.endsWith("data") || path.endsWith("nested") ? 0o700 : 0o600,
      );
    }
    assert.equal(await modeOf(`${dir}/outside`), 0o644, "a symlink's target is not followed");
    assert.deepEqual(logger.lines, []);
    assert.deepEqual(await tightenModes({ dirs: [`${dir}/data`], files: [] }, { logger }), []);
  });
});

Deno.test("tightenModes() leaves a device alone (AUDIT_LOG_FILE=/dev/null)", async () => {
  const before = await modeOf("/dev/null");
  const logger = createMemoryLogger();
  assert.deepEqual(await tightenModes({ dirs: [], files: ["/dev/null"] }, { logger }), []);
  assert.equal(await modeOf("/dev/null"), before);
});

Deno.test("tightenModes() follows a DATA_DIR that is itself a symlink, but no link inside it", async () => {
  await withTempDir(async (dir) => {
    // DATA_DIR=/srv/pki/data -> /mnt/volume/data: the usual way to put state on a volume.
    await Deno.mkdir(`${dir}/volume/data`, { recursive: true });
    await Deno.chmod(`${dir}/volume/data`, 0o755);
    await Deno.writeTextFile(`${dir}/volume/data/state.kv`, "x");
    await Deno.chmod(`${dir}/volume/data/state.kv`, 0o644);
    await Deno.writeTextFile(`${dir}/outside`, "x");
    await Deno.chmod(`${dir}/outside`, 0o644);
    await Deno.symlink(`${dir}/outside`, `${dir}/volume/data/link`);
    await Deno.symlink(`${dir}/volume/data`, `${dir}/data`);
    const logger = createMemoryLogger();
    const changed = await tightenModes({ dirs: [`${dir}/data`], files: [] }, { logger });
    assert.deepEqual(changed, [`${dir}/data`, `${dir}/data/state.kv`]);
    assert.equal(await modeOf(`${dir}/volume/data`), 0o700);
    assert.equal(await modeOf(`${dir}/volume/data/state.kv`), 0o600);
    assert.equal(await modeOf(`${dir}/outside`), 0o644, "a link inside the folder is not followed");
    assert.deepEqual(logger.lines, []);
  });
});
