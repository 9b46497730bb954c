import assert from "node:assert/strict";
import { createLogger } from "./logger.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";

Deno.test("createLogger() writes one JSON object per line with time, level and fields", () => {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", write: (l) => lines.push(l), now: () => 0 });
  logger.debug("hidden");
  logger.info("started", { port: 8080 });
  logger.error("failed", { reason: "disk full" });
  assert.deepEqual(lines.map((l) => JSON.parse(l)), [
    { time: "1970-01-01T00:00:00.000Z", level: "info", msg: "started", port: 8080 },
    { time: "1970-01-01T00:00:00.000Z", level: "error", msg: "failed", reason: "disk full" },
  ]);
});

Deno.test("createMemoryLogger() keeps every level from debug", () => {
  const logger = createMemoryLogger();
  logger.debug("a");
  logger.warn("b");
  assert.deepEqual(logger.lines.map((l) => JSON.parse(l).level), ["debug", "warn"]);
});

Deno.test("createLogger() pretty format: time, level, message and key=value fields", () => {
  const lines: string[] = [];
  const logger = createLogger({ format: "pretty", write: (l) => lines.push(l), now: () => 0 });
  logger.warn("Request failed", {
    requestId: "r1",
    error: "Seed not decrypted yet",
    status: 500,
    none: undefined,
  });
  assert.deepEqual(lines, [
    '1970-01-01T00:00:00.000Z WARN  Request failed requestId=r1 error="Seed not decrypted yet" status=500',
  ]);
});

Deno.test("JSON lines are exactly JSON.stringify of the spread fields, including odd field names", () => {
  const lines: string[] = [];
  const logger = createLogger({ write: (line) => lines.push(line), now: () => 0 });
  const cases = [{}, { a: 1, b: undefined }, { msg: "overrides" }, { 2: "x", z: "y" }, {
    s: '\n"',
  }];
  for (const fields of cases) logger.info("m", fields);
  assert.deepEqual(
    lines,
    cases.map((f) =>
      JSON.stringify({ time: "1970-01-01T00:00:00.000Z", level: "info", msg: "m", ...f })
    ),
  );
});
