import assert from "node:assert/strict";
import { createLineSink } from "./log_sink.ts";

const decoder = new TextDecoder();

/** A writer whose writes end only when the test says so. */
function heldWriter() {
  const writes: string[] = [];
  const waiting: (() => void)[] = [];
  return {
    writes,
    /** Writes still held. */
    get held() {
      return waiting.length;
    },
    write(bytes: Uint8Array): Promise<number> {
      writes.push(decoder.decode(bytes));
      return new Promise((resolve) => waiting.push(() => resolve(bytes.length)));
    },
    /** Ends the oldest held write. */
    async release(): Promise<void> {
      waiting.shift()!();
      // Let the sink's continuation run (it starts the next write).
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

Deno.test("createLineSink() writes a turn's lines in one write, in order", async () => {
  const writer = heldWriter();
  const tasks: (() => void)[] = [];
  const sink = createLineSink({ write: writer.write, schedule: (fn) => void tasks.push(fn) });
  sink("a");
  sink("b");
  assert.deepEqual(writer.writes, []);
  assert.equal(tasks.length, 1, "one write scheduled for the batch");
  tasks[0]!();
  assert.deepEqual(writer.writes, ["a\nb\n"]);
  await writer.release();
  sink("c");
  const flushed = sink.flush(1_000);
  await writer.release();
  assert.equal(await flushed, true);
  assert.deepEqual(writer.writes, ["a\nb\n", "c\n"]);
});

Deno.test("createLineSink() writes at once past 64 KiB", () => {
  const writer = heldWriter();
  const sink = createLineSink({ write: writer.write, schedule: () => {} });
  const line = "x".repeat(1023);
  for (let i = 0; i < 64; i++) sink(line);
  assert.deepEqual(writer.writes.map((text) => text.length), [65_536]);
});

Deno.test("createLineSink(): a short write goes on with the rest", async () => {
  const parts: string[] = [];
  const sink = createLineSink({
    write: (bytes) => {
      parts.push(decoder.decode(bytes.subarray(0, 3)));
      return Promise.resolve(Math.min(3, bytes.length));
    },
    schedule: (fn) => fn(),
  });
  sink("abcdefg");
  assert.equal(await sink.flush(1_000), true);
  assert.equal(parts.join(""), "abcdefg\n");
});

Deno.test("createLineSink(): a reader that stops reading holds one write, not the caller; lines past the bound are dropped and reported in place", async () => {
  const writer = heldWriter();
  const sink = createLineSink({
    write: writer.write,
    schedule: (fn) => fn(),
    maxPendingBytes: 20,
    now: () => Date.UTC(2026, 10, 26),
  });
  sink("first"); // written at once, and held: the reader is stalled
  assert.equal(writer.held, 1);
  // Each call returns at once although nothing is read.
  for (const line of ["one", "two", "three", "four", "five", "six"]) sink(line);
  assert.equal(writer.held, 1, "no second write while the first is held");
  // 20 bytes: "one\n" "two\n" "three\n" "four\n" = 19; "five" and "six" do not fit.
  assert.equal(sink.dropped(), 2);
  await writer.release(); // the reader moves again
  sink("seven");
  await writer.release();
  await writer.release();
  assert.deepEqual(writer.writes, [
    "first\n",
    "one\ntwo\nthree\nfour\n" +
    '{"time":"2026-11-26T00:00:00.000Z","level":"warn","msg":"Standard output was not read in time: log lines were dropped here","dropped":2}\n',
    "seven\n",
  ]);
  assert.equal(sink.dropped(), 2, "the total stays, for the metric");
});

Deno.test("createLineSink().flush() gives up after its time when the reader never reads", async () => {
  const writer = heldWriter();
  const sink = createLineSink({ write: writer.write, schedule: () => {} });
  sink("stuck");
  const started = performance.now();
  assert.equal(await sink.flush(50), false);
  const waited = performance.now() - started;
  assert.ok(waited >= 45 && waited < 2_000, `waited ${waited} ms`);
  await writer.release();
});

Deno.test("createLineSink(): a failing standard output loses the batch, and the next batch is written", async () => {
  let calls = 0;
  const written: string[] = [];
  const sink = createLineSink({
    write: (bytes) => {
      calls++;
      if (calls === 1) return Promise.reject(new Deno.errors.BrokenPipe("closed"));
      written.push(decoder.decode(bytes));
      return Promise.resolve(bytes.length);
    },
    schedule: (fn) => fn(),
  });
  sink("lost");
  await sink.flush(1_000);
  sink("kept");
  assert.equal(await sink.flush(1_000), true);
  assert.deepEqual(written, ["kept\n"]);
});

Deno.test("createLineSink().flushSync() writes what is pending before an exit", () => {
  const written: string[] = [];
  const sink = createLineSink({
    write: () => Promise.reject(new Error("not used")),
    writeSync: (bytes) => {
      written.push(decoder.decode(bytes));
      return bytes.length;
    },
    schedule: () => {},
  });
  sink("fatal: no key");
  sink.flushSync();
  sink.flushSync();
  assert.deepEqual(written, ["fatal: no key\n"]);
});
