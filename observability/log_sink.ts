/**
 * Where log and audit lines go: standard output, batched. Writing each line with its own
 * system call costs more than the request it describes, so lines are collected and written
 * together once per turn of the event loop (or when 64 KiB have piled up). `flush()` writes
 * what is pending at once, and runs at shutdown.
 *
 * @module
 */

/** A line writer with an explicit flush. */
export interface LineSink {
  (line: string): void;
  flush(): void;
}

const encoder = new TextEncoder();
const HIGH_WATER = 64 * 1024;

/** Options for {@linkcode createLineSink}. */
export interface LineSinkOptions {
  /** Writes bytes synchronously. @default {standard output} */
  writeSync?: (bytes: Uint8Array) => void;
  /** Schedules the flush of a batch. @default {setTimeout(fn, 0)} */
  schedule?: (fn: () => void) => void;
}

function writeAll(write: (bytes: Uint8Array) => number, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.length;) offset += write(bytes.subarray(offset));
}

/** A batching sink. */
export function createLineSink(options: LineSinkOptions = {}): LineSink {
  const writeSync = options.writeSync ??
    ((bytes) => writeAll((b) => Deno.stdout.writeSync(b), bytes));
  const schedule = options.schedule ?? ((fn) => setTimeout(fn, 0));
  let pending: string[] = [];
  let size = 0;
  let scheduled = false;
  function flush(): void {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    size = 0;
    writeSync(encoder.encode(text));
  }
  const sink = ((line: string) => {
    pending.push(line + "\n");
    size += line.length + 1;
    if (size >= HIGH_WATER) return flush();
    if (!scheduled) {
      scheduled = true;
      schedule(flush);
    }
  }) as LineSink;
  sink.flush = flush;
  return sink;
}

/** The process's standard output sink, shared by the logger and the audit log. */
export const stdoutSink: LineSink = createLineSink();
