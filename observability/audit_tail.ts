/**
 * Where a log's chain continues after a restart: its last line in the audit file, found by
 * reading the file backwards from the end (other replicas' lines may follow it when they
 * share the file), so a start costs a read of the tail, not of the whole history.
 *
 * @module
 */
import type { ChainPosition } from "./audit_chain.ts";
import { CHECKPOINT_EVENT, isLogId, lineHash } from "./audit_checkpoint.ts";

/** What {@linkcode readChainTail} found. */
export interface ChainTail {
  /** The log's last line, or `null` when the file holds none of its lines. */
  position: ChainPosition | null;
  /** The file ends inside a line (a write cut short): a newline must come first. */
  endsMidLine: boolean;
}

/** Options for {@linkcode readChainTail}. */
export interface ReadChainTailOptions {
  /** Bytes read per step backwards. @default {65536} */
  chunkBytes?: number;
}

const NEWLINE = 0x0a;

/** Reads the last line of log `log` in `path`; a missing file is an empty one. */
export async function readChainTail(
  path: string,
  log: string,
  options: ReadChainTailOptions = {},
): Promise<ChainTail> {
  if (!isLogId(log)) throw new TypeError("The log id is not 1-64 of [0-9a-z-]");
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { position: null, endsMidLine: false };
    throw error;
  }
  try {
    const size = (await file.stat()).size;
    const chunk = options.chunkBytes ?? 65536;
    const marker = `"log":"${log}"`;
    let end = size;
    /** Bytes of the line that continues into the chunk read next (the one before). */
    let carry = new Uint8Array(0);
    let endsMidLine = false;
    let first = true;
    while (end > 0) {
      const start = Math.max(0, end - chunk);
      const bytes = new Uint8Array(end - start + carry.length);
      await readAt(file, start, bytes.subarray(0, end - start));
      bytes.set(carry, end - start);
      if (first) {
        endsMidLine = bytes.at(-1) !== NEWLINE;
        first = false;
      }
      let lineEnd = bytes.length;
      for (let i = bytes.length - 1; i >= 0; i--) {
        if (bytes[i] !== NEWLINE) continue;
        const found = match(bytes.subarray(i + 1, lineEnd), log, marker);
        if (found) return { position: found, endsMidLine };
        lineEnd = i;
      }
      carry = bytes.slice(0, lineEnd);
      end = start;
    }
    return { position: match(carry, log, marker), endsMidLine };
  } finally {
    file.close();
  }
}

const decoder = new TextDecoder();

function match(bytes: Uint8Array, log: string, marker: string): ChainPosition | null {
  if (bytes.length === 0) return null;
  const text = decoder.decode(bytes);
  if (!text.includes(marker)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null; // a damaged line: the chain continues from the last whole one
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const line = parsed as Record<string, unknown>;
  if (line.log !== log || !Number.isSafeInteger(line.seq) || (line.seq as number) < 1) return null;
  return {
    seq: line.seq as number,
    hash: lineHash(bytes),
    sealed: line.event === CHECKPOINT_EVENT,
  };
}

async function readAt(file: Deno.FsFile, offset: number, into: Uint8Array): Promise<void> {
  await file.seek(offset, Deno.SeekMode.Start);
  for (let read = 0; read < into.length;) {
    const n = await file.read(into.subarray(read));
    if (n === null) throw new Error("The audit file shrank while it was read");
    read += n;
  }
}
