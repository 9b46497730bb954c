import assert from "node:assert/strict";
import { createAuditLog } from "./audit.ts";
import { withTempDir } from "../testing/temp_dir.ts";
import {
  generateEd25519Pem,
  importEd25519PrivatePem,
  importEd25519PublicPem,
} from "../crypto/ed25519.ts";
import { verifyAuditLog } from "./verify_audit_log.ts";

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
      statSync: () => ({ size: 0 }),
      truncateSync() {},
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

/** A file on a disk with `room` bytes left: a write takes what fits, then ENOSPC. */
function fullDisk(room: number, options: { truncate?: boolean } = {}) {
  const disk = {
    room,
    bytes: new Uint8Array(0),
    truncations: [] as number[],
    file: {
      writeSync(bytes: Uint8Array): number {
        const n = Math.min(disk.room, bytes.length);
        if (n === 0) throw new Error("No space left on device (os error 28)");
        const next = new Uint8Array(disk.bytes.length + n);
        next.set(disk.bytes);
        next.set(bytes.subarray(0, n), disk.bytes.length);
        disk.bytes = next;
        disk.room -= n;
        return n;
      },
      statSync: () => ({ size: disk.bytes.length }),
      truncateSync(length: number): void {
        if (options.truncate === false) throw new Error("Read-only file system (os error 30)");
        disk.truncations.push(length);
        disk.room += disk.bytes.length - length;
        disk.bytes = disk.bytes.slice(0, length);
      },
      close() {},
    },
  };
  return disk;
}

Deno.test("createAuditLog(): a line cut short by a full disk is taken back whole, and shows as a missing seq", async () => {
  const key = await importEd25519PrivatePem(await generateEd25519Pem());
  const lines: string[] = [];
  const disk = fullDisk(0);
  let now = 1_764_000_000_000;
  const audit = createAuditLog({
    write: (line) => lines.push(line),
    file: "/data/audit.jsonl",
    now: () => (now += 1000),
    open: () => disk.file,
    chain: {
      log: "0123456789abcdef",
      signer: { kid: key.kid, privateKey: key.privateKey },
      after: null,
    },
  });
  disk.room = 10_000;
  audit.record("verify.ok", { subject: "s1" });
  const first = disk.bytes.length;
  assert.equal(audit.healthy(), true);
  disk.room = 40; // the second line gets 40 bytes, then the disk is full
  audit.record("verify.ok", { subject: "s2" });
  assert.equal(audit.healthy(), false);
  assert.deepEqual(disk.truncations, [first]);
  assert.equal(disk.bytes.length, first);
  disk.room = 10_000;
  audit.record("verify.ok", { subject: "s3" });
  assert.equal(audit.healthy(), true);
  await audit.close();
  const fileLines = new TextDecoder().decode(disk.bytes).split("\n");
  assert.equal(fileLines.pop(), "");
  assert.deepEqual(fileLines.map((l) => [JSON.parse(l).seq, JSON.parse(l).subject]), [
    [1, "s1"],
    [3, "s3"],
    [4, undefined],
  ]);
  // Standard output has every line, the file every line but the cut one.
  assert.deepEqual(
    fileLines,
    lines.filter((l) => JSON.parse(l).msg === "audit" && JSON.parse(l).seq !== 2),
  );
  assert.deepEqual(
    await verifyAuditLog(disk.bytes, [await importEd25519PublicPem(key.publicPem)]),
    {
      ok: false,
      tampering: {
        log: "0123456789abcdef",
        seq: 2,
        line: 2,
        reason: "seq 2 is missing (found seq 3)",
      },
    },
  );
});

Deno.test("createAuditLog(): a short count is followed by the rest of the line", () => {
  const disk = fullDisk(10_000);
  const file = {
    ...disk.file,
    writeSync: (bytes: Uint8Array) =>
      disk.file.writeSync(bytes.subarray(0, Math.min(7, bytes.length))),
  };
  const audit = createAuditLog({
    write: () => {},
    file: "/data/audit.jsonl",
    now: () => 0,
    open: () => file,
  });
  audit.record("verify.ok", { subject: "s1" });
  assert.equal(audit.healthy(), true);
  assert.equal(
    new TextDecoder().decode(disk.bytes),
    '{"time":"1970-01-01T00:00:00.000Z","level":"info","msg":"audit","event":"verify.ok","subject":"s1"}\n',
  );
});

Deno.test("createAuditLog(): a cut line that cannot be taken back is ended before the next line", () => {
  const disk = fullDisk(20, { truncate: false });
  const audit = createAuditLog({
    write: () => {},
    file: "/data/audit.jsonl",
    now: () => 0,
    open: () => disk.file,
  });
  audit.record("verify.ok", { subject: "s1" });
  assert.equal(audit.healthy(), false);
  disk.room = 10_000;
  audit.record("verify.ok", { subject: "s2" });
  assert.equal(audit.healthy(), true);
  assert.equal(
    new TextDecoder().decode(disk.bytes),
    '{"time":"1970-01-01T\n' +
      '{"time":"1970-01-01T00:00:00.000Z","level":"info","msg":"audit","event":"verify.ok","subject":"s2"}\n',
  );
});
