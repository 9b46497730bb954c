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
 * Lines that arrive while a write is held wait in memory up to {@linkcode MAX_PENDING_BYTES};
 * past that they are dropped and counted ({@linkcode LineSink.dropped}, exported as
 * `pki2fa_log_lines_dropped_total`), and once the reader moves again a warning line says how
 * many were lost at that place. Audit events are not lost with them when `AUDIT_LOG_FILE`
 * is set: the file is written directly, and is the record (docs/security.md).
 *
 * @module
 */

/** A line writer whose writes never wait for the reader. */
export interface LineSink {
  (line: string): void;
  /**
   * Writes what is pending and waits for it, at most `withinMs` (a reader that never reads
   * again must not hold a shutdown). Resolves `true` when everything was written.
   */
  flush(withinMs?: number): Promise<boolean>;
  /**
   * Writes what is pending synchronously, for a process about to exit from a place that
   * cannot wait (a fatal start-up error). Blocks while the reader does not read.
   */
  flushSync(): void;
  /** Lines dropped so far because the reader fell behind. */
  dropped(): number;
}

const encoder = new TextEncoder();
const HIGH_WATER = 64 * 1024;
/** Most bytes held for a reader that is not reading; past it lines are dropped. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/** Options for {@linkcode createLineSink}. */
export interface LineSinkOptions {
  /** Writes bytes, resolving to how many were written. @default {Deno.stdout.write} */
  write?: (bytes: Uint8Array) => Promise<number>;
  /** Writes bytes synchronously (only {@linkcode LineSink.flushSync}). @default {Deno.stdout.writeSync} */
  writeSync?: (bytes: Uint8Array) => number;
  /** Schedules the write of a batch. @default {setTimeout(fn, 0)} */
  schedule?: (fn: () => void) => void;
  /** Most bytes held while a write is outstanding. @default {MAX_PENDING_BYTES} */
  maxPendingBytes?: number;
  /** Clock, in milliseconds, for the time of the warning line. @default {Date.now} */
  now?: () => number;
}

/** The warning written where lines were lost. */
function droppedLine(count: number, time: number): string {
  return JSON.stringify({
    time: new Date(time).toISOString(),
    level: "warn",
    msg: "Standard output was not read in time: log lines were dropped here",
    dropped: count,
  }) + "\n";
}

/** A batching sink. */
export function createLineSink(options: LineSinkOptions = {}): LineSink {
  const write = options.write ?? ((bytes) => Deno.stdout.write(bytes));
  const writeSync = options.writeSync ?? ((bytes) => Deno.stdout.writeSync(bytes));
  const schedule = options.schedule ?? ((fn) => setTimeout(fn, 0));
  const maxPending = options.maxPendingBytes ?? MAX_PENDING_BYTES;
  const now = options.now ?? Date.now;
  let pending: string[] = [];
  let size = 0;
  let scheduled = false;
  /** The write under way; the next batch starts when it ends, so lines keep their order. */
  let writing: Promise<void> | null = null;
  let dropped = 0;
  /** Dropped since the last warning line. */
  let unreported = 0;

  /** Takes the pending lines (and the warning about lines lost after them) as bytes. */
  function take(): Uint8Array {
    let text = pending.join("");
    if (unreported > 0) text += droppedLine(unreported, now());
    pending = [];
    size = 0;
    unreported = 0;
    return encoder.encode(text);
  }

  async function writeAll(bytes: Uint8Array): Promise<void> {
    for (let offset = 0; offset < bytes.length;) offset += await write(bytes.subarray(offset));
  }

  function start(): void {
    scheduled = false;
    if (writing !== null || (pending.length === 0 && unreported === 0)) return;
    writing = writeAll(take())
      // Standard output closed or failing: these lines are lost, and nothing can say so.
      .catch(() => {})
      .finally(() => {
        writing = null;
        if (pending.length > 0 || unreported > 0) start();
      });
  }

  const sink = ((line: string) => {
    if (size + line.length + 1 > maxPending) {
      dropped++;
      unreported++;
      return;
    }
    pending.push(line + "\n");
    size += line.length + 1;
    if (writing !== null) return; // The end of the write under way starts the next one.
    if (size >= HIGH_WATER) return start();
    if (!scheduled) {
      scheduled = true;
      schedule(start);
    }
  }) as LineSink;

  sink.flush = async (withinMs = 2_000) => {
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
    return true;
  };
  sink.flushSync = () => {
    if (pending.length === 0 && unreported === 0) return;
    const bytes = take();
    for (let offset = 0; offset < bytes.length;) offset += writeSync(bytes.subarray(offset));
  };
  sink.dropped = () => dropped;
  return sink;
}

/** The process's standard output sink, shared by the logger and the audit log. */
export const stdoutSink: LineSink = createLineSink();
