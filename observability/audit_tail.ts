/**
 * Where a log's chain may continue after a restart: its last checkpoint in the audit file
 * whose signature verifies with the audit key, found by reading the file backwards from the
 * end (other replicas' lines may follow it when they share the file), so a start costs a
 * read of the tail, not of the whole history.
 *
 * Only a verified checkpoint is a safe place to continue. Lines of the log after it were
 * written by a process that crashed before sealing them, or by anyone who can write the
 * file while the service is stopped (`prev` is only a SHA-256): continuing the chain after
 * them would have the next checkpoint sign them as if the service had written them. So they
 * are counted, and the caller starts a new log instead (store/audit_trail.ts).
 *
 * @module
 */
import type { ChainPosition } from "./audit_chain.ts";
import {
  CHECKPOINT_EVENT,
  isCanonicalCheckpointLine,
  isLogId,
  lineHash,
} from "./audit_checkpoint.ts";
import { checkpointProblem } from "./verify_audit_log.ts";
import type { Ed25519PublicKey } from "../crypto/ed25519.ts";

/** What {@linkcode readChainTail} found. */
export interface ChainTail {
  /** The log's last checkpoint whose signature verifies, or `null` when it has none. */
  checkpoint: ChainPosition | null;
  /** Lines of the log after that checkpoint (all of them when there is none): unsealed. */
  unsealed: number;
  /** The file ends inside a line (a write cut short): a newline must come first. */
  endsMidLine: boolean;
}

/** Options for {@linkcode readChainTail}. */
export interface ReadChainTailOptions {
  /** The audit key(s) whose checkpoints count. */
  keys: readonly Ed25519PublicKey[];
  /** Bytes read per step backwards. @default {65536} */
  chunkBytes?: number;
}

const NEWLINE = 0x0a;

/** Finds the last verified checkpoint of log `log` in `path`; a missing file is an empty one. */
export async function readChainTail(
  path: string,
  log: string,
  options: ReadChainTailOptions,
): Promise<ChainTail> {
  if (!isLogId(log)) throw new TypeError("The log id is not 1-64 of [0-9a-z-]");
  const byKid = new Map(options.keys.map((key) => [key.kid, key.publicKey]));
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { checkpoint: null, unsealed: 0, endsMidLine: false };
    }
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
    let unsealed = 0;
    /** A line of the log: a verified checkpoint ends the search, anything else is counted. */
    const visit = async (bytes: Uint8Array): Promise<ChainPosition | null> => {
      const found = await match(bytes, log, marker, byKid);
      if (found === "other") return null;
      if (found === "unsealed") {
        unsealed++;
        return null;
      }
      return found;
    };
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
        const found = await visit(bytes.subarray(i + 1, lineEnd));
        if (found) return { checkpoint: found, unsealed, endsMidLine };
        lineEnd = i;
      }
      carry = bytes.slice(0, lineEnd);
      end = start;
    }
    const found = await visit(carry);
    return { checkpoint: found, unsealed, endsMidLine };
  } finally {
    file.close();
  }
}

const decoder = new TextDecoder();

/**
 * What one line is to log `log`: a checkpoint of it that verifies (its position), one of its
 * other lines ("unsealed": a damaged line that names the log counts too), or "other".
 */
async function match(
  bytes: Uint8Array,
  log: string,
  marker: string,
  byKid: Map<string, CryptoKey>,
): Promise<ChainPosition | "unsealed" | "other"> {
  if (bytes.length === 0) return "other";
  const text = decoder.decode(bytes);
  if (!text.includes(marker)) return "other";
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "unsealed";
  }
  if (typeof parsed !== "object" || parsed === null) return "unsealed";
  const line = parsed as Record<string, unknown>;
  if (line.log !== log) return "other";
  if (
    line.event !== CHECKPOINT_EVENT || !Number.isSafeInteger(line.seq) ||
    !isCanonicalCheckpointLine(text, line) || await checkpointProblem(line, log, byKid) !== null
  ) {
    return "unsealed";
  }
  return { seq: line.seq as number, hash: lineHash(bytes), sealed: true };
}

async function readAt(file: Deno.FsFile, offset: number, into: Uint8Array): Promise<void> {
  await file.seek(offset, Deno.SeekMode.Start);
  for (let read = 0; read < into.length;) {
    const n = await file.read(into.subarray(read));
    if (n === null) throw new Error("The audit file shrank while it was read");
    read += n;
  }
}
