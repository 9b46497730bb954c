import assert from "node:assert/strict";
import { RecentAuditLog } from "./recent_audit.ts";
import { createMemoryAuditLog } from "../testing/memory_audit_log.ts";

Deno.test("RecentAuditLog passes every event on and keeps the last ones, newest first", () => {
  const inner = createMemoryAuditLog();
  let now = Date.UTC(2025, 10, 24, 16, 0, 0);
  const log = new RecentAuditLog(inner, { capacity: 3, now: () => now });
  assert.deepEqual(log.recent(), []);
  log.record("verify.ok", { subject: "a" });
  assert.deepEqual(log.recent(), [
    { time: "2025-11-24T16:00:00.000Z", event: "verify.ok", subject: "a" },
  ]);
  for (const subject of ["b", "c", "d", "e"]) {
    now += 1000;
    log.record("verify.fail", { subject, client: "10.0.0.1" });
  }
  assert.deepEqual(log.recent().map((e) => [e.time, e.subject]), [
    ["2025-11-24T16:00:04.000Z", "e"],
    ["2025-11-24T16:00:03.000Z", "d"],
    ["2025-11-24T16:00:02.000Z", "c"],
  ]);
  assert.equal(inner.events.length, 5);
  assert.deepEqual(inner.events[4], { event: "verify.fail", subject: "e", client: "10.0.0.1" });
});

Deno.test("RecentAuditLog stays bounded under 100,000 events and refuses a capacity under 1", () => {
  const log = new RecentAuditLog(createMemoryAuditLog(), { capacity: 50 });
  for (let i = 0; i < 100_000; i++) log.record("rate.limited", { requestId: String(i) });
  const recent = log.recent();
  assert.equal(recent.length, 50);
  assert.equal(recent[0]!.requestId, "99999");
  assert.equal(recent[49]!.requestId, "99950");
  assert.throws(
    () => new RecentAuditLog(createMemoryAuditLog(), { capacity: 0 }),
    new RangeError("capacity must be a whole number from 1, got 0"),
  );
});
