import assert from "node:assert/strict";
import { CHUNK_BYTES, CLOSING_CHUNK_BYTES, createLineSink } from "./log_sink.ts";

const decoder = new TextDecoder();
const TIME = Date.UTC(2026, 10, 26);
const gapLine = (count: number) =>
  '{"time":"2026-11-26T00:00:00.000Z","level":"warn","msg":"Standard output was not read in ' +
  `time: log lines were dropped here","dropped":${count}}\n`;

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
    /** Ends the oldest held write and lets the sink go on. */
    async release(): Promise<void> {
      waiting.shift()!();
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
    /** Ends every write until none is held. */
    async drain(): Promise<void> {
      while (waiting.length > 0) await this.release();
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

Deno.test("createLineSink() writes whole lines, up to 64 KiB a write, and from flush() on at most PIPE_BUF", async () => {
  const writer = heldWriter();
  const sink = createLineSink({ write: writer.write, schedule: () => {} });
  const line = "x".repeat(999); // 1,000 bytes with its newline
  for (let i = 0; i < 64; i++) sink(line); // 64,000 characters: under the high-water mark
  sink("é".repeat(600)); // a line of 1,201 bytes in 601 characters
  sink("y".repeat(70_000)); // one line longer than a write; past the mark, so writing starts
  sink("z"); // these two wait for the next batch
  sink("tail".repeat(400));
  await writer.drain();
  assert.equal(CHUNK_BYTES, 65_536);
  const sizes = () => writer.writes.map((text) => new TextEncoder().encode(text).length);
  assert.deepEqual(sizes(), [65_201, 70_001, 1_603]);
  // Stopping: each write now fits a pipe whole (no half line if the process exits meanwhile).
  for (let i = 0; i < 10; i++) sink(line);
  const flushed = sink.flush(5_000);
  await writer.drain();
  assert.equal(await flushed, true);
  assert.equal(CLOSING_CHUNK_BYTES, 4096);
  assert.deepEqual(sizes().slice(3), [4_000, 4_000, 2_000]);
  for (const text of writer.writes) assert.ok(text.endsWith("\n"), "every write ends a line");
  assert.equal(
    writer.writes.join(""),
    `${line}\n`.repeat(64) + `${"é".repeat(600)}\n${"y".repeat(70_000)}\nz\n` +
      `${"tail".repeat(400)}\n` + `${line}\n`.repeat(10),
  );
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

Deno.test("createLineSink(): a reader that stops reading holds one write, not the caller; lines past the bound are dropped and a warning stands where they were", async () => {
  const writer = heldWriter();
  const sink = createLineSink({
    write: writer.write,
    schedule: (fn) => fn(),
    maxPendingChars: 20,
    now: () => TIME,
  });
  sink("first"); // written at once, and held: the reader is stalled
  assert.equal(writer.held, 1);
  // Each call returns at once although nothing is read.
  for (const line of ["one", "two", "three", "a-longer-line", "x"]) sink(line);
  assert.equal(writer.held, 1, "no second write while the first is held");
  // 20 characters: "one\n" "two\n" "three\n" = 14; "a-longer-line" does not fit; "x" does
  // and goes after the gap, with the warning between them.
  assert.equal(sink.dropped(), 1);
  sink("seven-and-more"); // does not fit: a second gap, after "x"
  assert.equal(sink.dropped(), 2);
  await writer.release(); // the reader moves again
  await writer.drain();
  assert.deepEqual(writer.writes, [
    "first\n",
    "one\ntwo\nthree\n" + gapLine(1) + "x\n" + gapLine(1),
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

Deno.test("createLineSink(): lines a failing output refused are counted, and reported where they were once it writes again", async () => {
  let failing = true;
  const written: string[] = [];
  let calls = 0;
  const sink = createLineSink({
    write: (bytes) => {
      calls++;
      if (failing) return Promise.reject(new Deno.errors.BrokenPipe("closed"));
      written.push(decoder.decode(bytes));
      return Promise.resolve(bytes.length);
    },
    schedule: (fn) => fn(),
    now: () => TIME,
  });
  sink("lost-1"); // written at once, and refused
  sink("lost-2"); // waits for that write; after a failure the next line or flush tries again
  assert.equal(await sink.flush(1_000), false);
  assert.equal(sink.dropped(), 1);
  assert.equal(await sink.flush(1_000), false);
  assert.equal(sink.dropped(), 2);
  assert.equal(await sink.flush(1_000), false, "the warning itself is refused: still pending");
  assert.equal(sink.dropped(), 2, "the warning's lines are not counted twice");
  const callsWhileFailing = calls;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(calls, callsWhileFailing, "no retry loop while nothing new arrives");
  failing = false;
  sink("kept");
  assert.equal(await sink.flush(1_000), true);
  assert.deepEqual(written.join(""), gapLine(2) + "kept\n");
});

Deno.test("createLineSink(): a write that fails part-way through a line leaves no line glued to the fragment", async () => {
  let call = 0;
  const out: string[] = [];
  const sink = createLineSink({
    write: (bytes) => {
      call++;
      if (call === 1) { // 8 bytes of "alpha\nbeta\n" reach the output, then it fails
        out.push(decoder.decode(bytes.subarray(0, 8)));
        return Promise.resolve(8);
      }
      if (call === 2) return Promise.reject(new Error("EAGAIN"));
      out.push(decoder.decode(bytes));
      return Promise.resolve(bytes.length);
    },
    schedule: () => {},
    now: () => TIME,
  });
  sink("alpha");
  sink("beta");
  await sink.flush(1_000);
  assert.equal(sink.dropped(), 1, "beta was cut: lost");
  sink("gamma");
  assert.equal(await sink.flush(1_000), true);
  assert.equal(out.join(""), "alpha\nbe\n" + gapLine(1) + "gamma\n");
});

Deno.test("createLineSink(): once full, lines wait for a quarter to drain: one gap, not one per shorter line", async () => {
  const writer = heldWriter();
  const sink = createLineSink({
    write: writer.write,
    schedule: (fn) => fn(),
    maxPendingChars: 20,
    now: () => TIME,
  });
  sink("held"); // the write the stalled reader holds
  for (const line of ["aaaa", "bbbb", "ccccc"]) sink(line); // 16 characters of 20
  sink("dddddd"); // does not fit: the gap starts
  sink("e"); // would fit, but 16 is above 75 % of the bound: the same gap
  sink("g");
  assert.equal(sink.dropped(), 3);
  await writer.release();
  sink("f"); // everything drained: taken again, after the gap
  await writer.drain();
  assert.deepEqual(writer.writes, ["held\n", "aaaa\nbbbb\nccccc\n" + gapLine(3), "f\n"]);
});

Deno.test("createLineSink(): after a failed write the rest is tried again within a second, with no new line", async () => {
  let calls = 0;
  const written: string[] = [];
  const sink = createLineSink({
    write: (bytes) => {
      if (calls++ === 0) return Promise.reject(new Deno.errors.BrokenPipe("closed"));
      written.push(decoder.decode(bytes));
      return Promise.resolve(bytes.length);
    },
    schedule: (fn) => fn(),
    now: () => TIME,
  });
  sink("lost"); // written at once, refused
  sink("waiting"); // queued behind it
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(written, [], "no retry at once (no busy loop)");
  await new Promise((resolve) => setTimeout(resolve, 1_300));
  assert.deepEqual(written, [gapLine(1) + "waiting\n"]);
  assert.equal(sink.dropped(), 1);
});
