import assert from "node:assert/strict";
import { createLineSink } from "./log_sink.ts";

Deno.test("createLineSink() writes a turn's lines in one write, in order", () => {
  const writes: string[] = [];
  const tasks: (() => void)[] = [];
  const sink = createLineSink({
    writeSync: (bytes) => void writes.push(new TextDecoder().decode(bytes)),
    schedule: (fn) => void tasks.push(fn),
  });
  sink("a");
  sink("b");
  assert.deepEqual(writes, []);
  assert.equal(tasks.length, 1, "one flush scheduled for the batch");
  tasks[0]!();
  sink("c");
  sink.flush();
  assert.deepEqual(writes, ["a\nb\n", "c\n"]);
});

Deno.test("createLineSink() flushes at once past 64 KiB", () => {
  const writes: number[] = [];
  const sink = createLineSink({
    writeSync: (bytes) => void writes.push(bytes.length),
    schedule: () => {},
  });
  const line = "x".repeat(1023);
  for (let i = 0; i < 64; i++) sink(line);
  assert.deepEqual(writes, [65_536]);
});
