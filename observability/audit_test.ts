import assert from "node:assert/strict";
import { createAuditLog } from "./audit.ts";
import { withTempDir } from "../testing/temp_dir.ts";

Deno.test("createAuditLog() writes one JSON line per event to its writer and appends to AUDIT_LOG_FILE", async () => {
  await withTempDir(async (dir) => {
    const lines: string[] = [];
    const file = `${dir}/audit.jsonl`;
    await Deno.writeTextFile(file, '{"earlier":true}\n');
    const audit = createAuditLog({ write: (l) => lines.push(l), file, now: () => 0 });
    audit.record("verify.fail", {
      requestId: "r1",
      client: "192.0.2.1",
      subject: "default",
      reason: "invalid",
    });
    audit.record("auth.denied", { requestId: "r2", client: "192.0.2.2", reason: "no token" });
    await audit.close();
    const expected = [
      {
        time: "1970-01-01T00:00:00.000Z",
        level: "info",
        msg: "audit",
        event: "verify.fail",
        requestId: "r1",
        client: "192.0.2.1",
        subject: "default",
        reason: "invalid",
      },
      {
        time: "1970-01-01T00:00:00.000Z",
        level: "info",
        msg: "audit",
        event: "auth.denied",
        requestId: "r2",
        client: "192.0.2.2",
        reason: "no token",
      },
    ];
    assert.deepEqual(lines.map((l) => JSON.parse(l)), expected);
    const content = await Deno.readTextFile(file);
    assert.deepEqual(content.trim().split("\n").map((l) => JSON.parse(l)), [
      { earlier: true },
      ...expected,
    ]);
  });
});
