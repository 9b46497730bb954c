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

Deno.test("createAuditLog(): a failing file never throws, is reported once, and heals", () => {
  const lines: string[] = [];
  const written: string[] = [];
  let full = true;
  const audit = createAuditLog({
    write: (l) => lines.push(l),
    file: "/data/audit.jsonl",
    now: () => 0,
    open: () => ({
      writeSync(bytes) {
        if (full) throw new Deno.errors.Interrupted("No space left on device (os error 28)");
        written.push(new TextDecoder().decode(bytes));
        return bytes.length;
      },
      close() {},
    }),
  });
  assert.equal(audit.healthy(), true);
  audit.record("seed.set", { subject: "default" });
  audit.record("verify.ok", { subject: "default" });
  assert.equal(audit.healthy(), false);
  assert.deepEqual(lines.map((l) => JSON.parse(l)), [
    {
      time: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "audit",
      event: "seed.set",
      subject: "default",
    },
    {
      time: "1970-01-01T00:00:00.000Z",
      level: "error",
      msg:
        "The audit file cannot be written: events go to standard output only and /ready fails until it can",
      path: "/data/audit.jsonl",
      error: "Interrupted",
    },
    {
      time: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "audit",
      event: "verify.ok",
      subject: "default",
    },
  ]);
  full = false;
  audit.record("verify.fail", { subject: "default" });
  assert.equal(audit.healthy(), true);
  assert.equal(JSON.parse(lines.at(-1)!).msg, "The audit file is written again");
  assert.equal(written.length, 1);
  assert.equal(JSON.parse(written[0]!).event, "verify.fail");
});

Deno.test("audit lines without a chain are exactly JSON.stringify of the spread fields", () => {
  const lines: string[] = [];
  const audit = createAuditLog({ write: (line) => lines.push(line), now: () => 0 });
  const cases = [{}, { requestId: "r", client: "127.0.0.1", subject: "alice", reason: undefined }, {
    event: "overridden",
  } as never, { 7: "x" } as never];
  for (const fields of cases) audit.record("verify.ok", fields);
  assert.deepEqual(
    lines,
    cases.map((f: object) =>
      JSON.stringify({
        time: "1970-01-01T00:00:00.000Z",
        level: "info",
        msg: "audit",
        event: "verify.ok",
        ...f,
      })
    ),
  );
});
