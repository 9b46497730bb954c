/**
 * Where log and audit lines go: standard output, batched, never blocking a request.
 *
 * Writing each line with its own system call costs more than the request it describes, so
 * lines are collected and written together once per turn of the event loop (or as soon as
 * 64 KiB have piled up).
 *
 * The writes are asynchronous (Deno performs them off the event loop). A reader of standard
 * output that stops reading (a stuck log driver, `docker logs` piped into a pager, a full
 * pipe) then fills the pipe and holds one write, not the service: with `writeSync` every
 * request waited on that reader, so a stalled log collector took logins down with it.
 * Lines that arrive while a write is held wait in memory up to {@linkcode MAX_PENDING_CHARS};
 * past that they are dropped and counted ({@linkcode LineSink.dropped}, exported as
 * `pki2fa_log_lines_dropped_total`), and a warning line stands exactly where they were lost.
 * Lines a failing standard output refused (a full disk, a closed pipe) are counted the same
 * way. Audit events are not lost with them when `AUDIT_LOG_FILE` is set: the file is written
 * directly, and is the record (docs/security.md).
 *
 * Each write ends at the end of a line and holds at most 64 KiB; once the process is stopping
 * ({@linkcode LineSink.flush}) at most {@linkcode CLOSING_CHUNK_BYTES}, the pipe's atomic size
 * (PIPE_BUF), so a process that exits while a write waits for a slow reader leaves whole lines
 * behind, never half of one for the next process's first line to be glued onto. (Pieces that
 * small all the time cost about 15% more CPU per request, measured on `GET /health`; a 64 KiB
 * write in flight when the stop begins has the 2 s of the flush to get through.)
 *
 * @module
 */

/** A line writer whose writes never wait for the reader. */
export interface LineSink {
  (line: string): void;
  /**
   * Writes what is pending and waits for it, at most `withinMs` (a reader that never reads
   * again must not hold a shutdown). Resolves `true` when everything was written. For a
   * process that is stopping: from now on each write is at most {@linkcode CLOSING_CHUNK_BYTES}.
   */
  flush(withinMs?: number): Promise<boolean>;
  /** Lines dropped so far: not read in time, or refused by the output. */
  dropped(): number;
}

const encoder = new TextEncoder();
const NEWLINE = 10;
/** Pending text that starts a write at once instead of at the end of the turn. */
const HIGH_WATER = 64 * 1024;
/** Most text taken for one series of writes; the rest stays pending (and bounded). */
const BATCH_CHARS = 64 * 1024;
/** Most bytes per write. */
export const CHUNK_BYTES = 64 * 1024;
/** Bytes per write once stopping: PIPE_BUF on Linux, the most a pipe takes whole or not at all. */
export const CLOSING_CHUNK_BYTES = 4096;
/** Most text (in characters) held for a reader that is not reading; past it lines are dropped. */
export const MAX_PENDING_CHARS = 4 * 1024 * 1024;

/** How long after a failed write the next one is tried when no new line comes. */
const RETRY_MS = 1_000;

/** The share of the bound the pending text must drain to before lines are taken again. */
const RESUME_AT = 0.75;

/** Options for {@linkcode createLineSink}. */
export interface LineSinkOptions {
  /** Writes bytes, resolving to how many were written. @default {Deno.stdout.write} */
  write?: (bytes: Uint8Array) => Promise<number>;
  /** Schedules the write of a batch. @default {setTimeout(fn, 0)} */
  schedule?: (fn: () => void) => void;
  /** Most characters held while a write is outstanding. @default {MAX_PENDING_CHARS} */
  maxPendingChars?: number;
  /** Clock, in milliseconds, for the time of the warning line. @default {Date.now} */
  now?: () => number;
}

/** Lines lost at one place in the output: written as one warning line. */
interface Gap {
  count: number;
}

/** A line (ending in a newline) or a gap. */
type Entry = string | Gap;

/** The warning written where lines were lost. */
function gapLine(count: number, time: number): string {
  return JSON.stringify({
    time: new Date(time).toISOString(),
    level: "warn",
    msg: "Standard output was not read in time: log lines were dropped here",
    dropped: count,
  }) + "\n";
}

/** The end (exclusive) of the write starting at `offset`: whole lines, at most `size` if it can. */
function chunkEnd(bytes: Uint8Array, offset: number, size: number): number {
  const limit = offset + size;
  if (limit >= bytes.length) return bytes.length;
  const cut = bytes.lastIndexOf(NEWLINE, limit - 1);
  if (cut >= offset) return cut + 1;
  // One line longer than a chunk goes whole in one write.
  const end = bytes.indexOf(NEWLINE, limit);
  return end === -1 ? bytes.length : end + 1;
}

/** Counts the lines that start at or after `from` in `bytes`. */
function linesFrom(bytes: Uint8Array, from: number): number {
  let count = 0;
  for (let at = bytes.indexOf(NEWLINE, from); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) {
    count++;
  }
  return count;
}

/** A batching sink. */
export function createLineSink(options: LineSinkOptions = {}): LineSink {
  const write = options.write ?? ((bytes) => Deno.stdout.write(bytes));
  const schedule = options.schedule ?? ((fn) => setTimeout(fn, 0));
  const maxPending = options.maxPendingChars ?? MAX_PENDING_CHARS;
  const now = options.now ?? Date.now;
  const pending: Entry[] = [];
  let size = 0;
  let scheduled = false;
  /** The writes under way; the next batch starts when they end, so lines keep their order. */
  let writing: Promise<void> | null = null;
  let dropped = 0;
  /** A write failed part-way through a line: the next write starts a new line first. */
  let fragment = false;
  /**
   * The last write failed: the next starts with the next line or after {@linkcode RETRY_MS}
   * (an output that came back must not wait for traffic to say what was lost), never at once.
   */
  let failing = false;
  let retry: ReturnType<typeof setTimeout> | null = null;
  /** Lines are being dropped: the pending text reached the bound and has not drained enough. */
  let dropping = false;
  /** The size of the next writes: small once the process is stopping. */
  let chunkBytes = CHUNK_BYTES;

  /**
   * Puts a gap of `count` lines after everything pending (or before it, with `first`),
   * joined to a gap already there.
   */
  function gap(count: number, first = false): void {
    const at = first ? pending[0] : pending.at(-1);
    if (at !== undefined && typeof at !== "string") at.count += count;
    else if (first) pending.unshift({ count });
    else pending.push({ count });
  }

  /** Takes up to BATCH_CHARS of the pending entries: their bytes, and per line what it stands for. */
  function take(): { bytes: Uint8Array; lines: { count: number; gap: boolean }[] } {
    let taken = 0;
    let chars = 0;
    while (taken < pending.length && (taken === 0 || chars < BATCH_CHARS)) {
      const entry = pending[taken++]!;
      if (typeof entry === "string") chars += entry.length;
    }
    const batch = pending.splice(0, taken);
    size -= chars;
    const time = now();
    const lines = batch.map((entry) =>
      typeof entry === "string" ? { count: 1, gap: false } : { count: entry.count, gap: true }
    );
    const text = batch.map((entry) =>
      typeof entry === "string" ? entry : gapLine(entry.count, time)
    )
      .join("");
    return { bytes: encoder.encode((fragment ? "\n" : "") + text), lines };
  }

  async function writeBatch(): Promise<void> {
    const prefix = fragment ? 1 : 0;
    const { bytes, lines } = take();
    let offset = 0;
    try {
      while (offset < bytes.length) {
        const end = chunkEnd(bytes, offset, chunkBytes);
        while (offset < end) offset += await write(bytes.subarray(offset, end));
      }
      fragment = false;
      failing = false;
    } catch {
      // Standard output closed or failing: the entries not written whole are lost. Their
      // lines are counted (a gap already counted is carried, not counted again), and a
      // warning goes where they were once the output takes writes again.
      failing = true;
      if (offset >= prefix && offset > 0) fragment = bytes[offset - 1] !== NEWLINE;
      const lost = lines.slice(
        Math.max(0, lines.length - linesFrom(bytes, Math.max(offset, prefix))),
      );
      dropped += lost.filter((line) => !line.gap).length;
      const total = lost.reduce((sum, line) => sum + line.count, 0);
      if (total > 0) gap(total, true);
    }
  }

  function start(): void {
    scheduled = false;
    if (writing !== null || pending.length === 0) return;
    writing = writeBatch().finally(() => {
      writing = null;
      if (pending.length === 0) return;
      if (!failing) return start();
      if (retry !== null) return;
      retry = setTimeout(() => {
        retry = null;
        start();
      }, RETRY_MS);
      // A retry must not keep a process alive that has nothing else to do.
      Deno.unrefTimer(retry as unknown as number);
    });
  }

  const sink = ((line: string) => {
    // Once full, lines are dropped until a quarter has drained: one gap per stall, not a
    // gap (and a warning) after every shorter line that happens to fit.
    const fits = size + line.length + 1 <= maxPending;
    dropping = dropping ? !fits || size > maxPending * RESUME_AT : !fits;
    if (dropping) {
      dropped++;
      return gap(1);
    }
    failing = false;
    pending.push(line + "\n");
    size += line.length + 1;
    if (writing !== null) return; // The end of the writes under way starts the next batch.
    if (size >= HIGH_WATER) return start();
    if (!scheduled) {
      scheduled = true;
      schedule(start);
    }
  }) as LineSink;

  sink.flush = async (withinMs = 2_000) => {
    chunkBytes = CLOSING_CHUNK_BYTES;
    const deadline = now() + withinMs;
    start();
    while (writing !== null) {
      const left = deadline - now();
      if (left <= 0) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        writing,
        new Promise((resolve) => timer = setTimeout(resolve, left)),
      ]);
      clearTimeout(timer);
    }
    return pending.length === 0;
  };
  sink.dropped = () => dropped;
  return sink;
}

/** The process's standard output sink, shared by the logger and the audit log. */
export const stdoutSink: LineSink = createLineSink();
