import assert from "node:assert/strict";
import { AUDIT_LOG_ID_FILE, loadAuditLogId } from "./audit_log_id.ts";
import { withTempDir } from "../testing/temp_dir.ts";

Deno.test("loadAuditLogId() creates a random id (0600) once and keeps it across restarts", async () => {
  await withTempDir(async (dir) => {
    const id = await loadAuditLogId(dir);
    assert.match(id, /^[0-9a-f]{16}$/);
    assert.equal(await loadAuditLogId(dir), id);
    assert.equal(await Deno.readTextFile(`${dir}/${AUDIT_LOG_ID_FILE}`), id + "\n");
    assert.equal((await Deno.stat(`${dir}/${AUDIT_LOG_ID_FILE}`)).mode! & 0o777, 0o600);
    await withTempDir(async (other) => assert.notEqual(await loadAuditLogId(other), id));
  });
});

Deno.test("loadAuditLogId() refuses a file that holds something else", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/${AUDIT_LOG_ID_FILE}`, "Not An Id\n");
    await assert.rejects(loadAuditLogId(dir), {
      name: "KeyFileError",
      message: `"${dir}/${AUDIT_LOG_ID_FILE}" does not hold an audit log id (1-64 of [0-9a-z-]); ` +
        "remove it to start a new chain",
    });
  });
});
