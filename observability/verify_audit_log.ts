/**
 * Checks an audit file against its hash chains and the checkpoints' Ed25519 signatures
 * (see audit_checkpoint.ts for the format), and names the first line that is not as the
 * service wrote it:
 * - a `seq` that skips ahead (a deleted line, or two lines swapped): the missing seq;
 * - a `seq` that goes back (a line inserted as a copy, a replay): the repeated seq;
 * - a `prev` that is not the hash of the line before: the line before was edited, unless
 *   the next line does not follow this one either, in which case this line is the stranger;
 * - a checkpoint whose signature does not verify with a given key, or whose `chain` is not
 *   its `prev`: the checkpoint.
 * Lines after a log's last checkpoint may have been cut or rewritten by whoever can write
 * the file, so they are counted as not yet sealed rather than as intact. A service that
 * found such lines at its start left them unsealed and began a new log whose first line
 * (`audit.unsealed_tail`) records the old log's last checkpoint and how many lines followed
 * it; a file where that no longer holds is reported at that line.
 *
 * @module
 */
import { type Ed25519PublicKey, verifyEd25519 } from "../crypto/ed25519.ts";
import {
  CHECKPOINT_EVENT,
  checkpointMessage,
  GENESIS,
  isCanonicalCheckpointLine,
  isChainHash,
  isLogId,
  lineHash,
  UNSEALED_TAIL_EVENT,
} from "./audit_checkpoint.ts";

/** One log's outcome. */
export interface ChainSummary {
  log: string;
  /** Lines up to and including the last checkpoint: proven untouched. */
  intact: number;
  /** The last checkpoint's seq, or `null` when there is none yet. */
  lastCheckpoint: number | null;
  /** Lines after the last checkpoint. */
  unsealed: number;
}

/** The first line that is not as written. */
export interface AuditTampering {
  log: string;
  /** The first bad seq. */
  seq: number;
  /** 1-based line number in the file. */
  line: number;
  reason: string;
}

/** What {@linkcode verifyAuditLog} found. */
export type AuditVerification =
  | {
    ok: true;
    logs: ChainSummary[];
    /** Lines before the first chained one (written by a version without chains). */
    unchained: number;
    /** The file ends inside a line (cut in the middle of a write). */
    endsMidLine: boolean;
  }
  | { ok: false; tampering: AuditTampering };

interface LineRecord {
  number: number;
  seq: number;
  /** {@linkcode lineHash} of the line's bytes. */
  hash: string;
}

interface ChainState {
  log: string;
  last: LineRecord | null;
  lastCheckpoint: number | null;
  /** {@linkcode lineHash} of the last checkpoint line. */
  lastCheckpointHash: string | null;
  /** A line whose `prev` did not match: which of it and the line before is bad waits for the next. */
  suspect: LineRecord | null;
}

class Tampered extends Error {
  constructor(readonly tampering: AuditTampering) {
    super(tampering.reason);
  }
}

const decoder = new TextDecoder();

function bad(chain: ChainState, seq: number, line: number, reason: string): never {
  throw new Tampered({ log: chain.log, seq, line, reason });
}

/**
 * The verifier, fed one line at a time (so a file of any size is checked in a bounded amount
 * of memory: one hash per chain), then asked for the outcome.
 */
export class AuditLogVerifier {
  #byKid: Map<string, CryptoKey>;
  #chains = new Map<string, ChainState>();
  #latest: ChainState | null = null;
  #unchained = 0;
  #lines = 0;
  #endsMidLine = false;
  #tampering: AuditTampering | null = null;
  /** `audit.unsealed_tail` lines, checked against their previous log once all is read. */
  #tails: { log: string; line: number; fields: Record<string, unknown> }[] = [];

  constructor(keys: readonly Ed25519PublicKey[]) {
    this.#byKid = new Map(keys.map((key) => [key.kid, key.publicKey]));
  }

  /**
   * Checks the next line (its bytes without the newline). `partial`: the file's last bytes,
   * with no newline after them (a write cut short, or a file cut there).
   */
  async line(bytes: Uint8Array, options: { partial?: boolean } = {}): Promise<void> {
    if (this.#tampering !== null) return;
    try {
      await this.#check(bytes, ++this.#lines, options.partial ?? false);
    } catch (error) {
      if (!(error instanceof Tampered)) throw error;
      this.#tampering = error.tampering;
    }
  }

  /** The outcome, once every line was given. */
  finish(): AuditVerification {
    if (this.#tampering === null) {
      try {
        for (const chain of this.#chains.values()) {
          if (chain.suspect !== null) blamePrevious(chain, chain.suspect);
        }
        for (const tail of this.#tails) checkUnsealedTail(this.#chains, tail);
      } catch (error) {
        if (!(error instanceof Tampered)) throw error;
        this.#tampering = error.tampering;
      }
    }
    if (this.#tampering !== null) return { ok: false, tampering: this.#tampering };
    const logs = [...this.#chains.values()].map((chain) => {
      const total = chain.last?.seq ?? 0;
      const intact = chain.lastCheckpoint ?? 0;
      return {
        log: chain.log,
        intact,
        lastCheckpoint: chain.lastCheckpoint,
        unsealed: total - intact,
      };
    });
    return { ok: true, logs, unchained: this.#unchained, endsMidLine: this.#endsMidLine };
  }

  async #check(lineBytes: Uint8Array, number: number, partial: boolean): Promise<void> {
    if (partial) this.#endsMidLine = true;
    const parsed = parse(lineBytes);
    if (parsed === null || !isLogId(parsed.log)) {
      if (this.#latest === null && parsed !== null) {
        this.#unchained++;
        return;
      }
      if (this.#latest === null) {
        throw new Tampered({ log: "-", seq: 1, line: number, reason: "not a JSON audit line" });
      }
      // The last line cut in the middle of its write: unsealed, like the lines before it.
      if (partial) return;
      bad(this.#latest, nextSeq(this.#latest), number, "the line is not part of any chain");
    }
    const log = parsed.log as string;
    let chain = this.#chains.get(log);
    if (chain === undefined) {
      chain = { log, last: null, lastCheckpoint: null, lastCheckpointHash: null, suspect: null };
      this.#chains.set(log, chain);
    }
    this.#latest = chain;
    const seq = parsed.seq;
    const expected = nextSeq(chain);
    if (!Number.isSafeInteger(seq) || !isChainHash(parsed.prev)) {
      bad(chain, expected, number, "the line has no valid seq and prev");
    }
    const record: LineRecord = { number, seq: seq as number, hash: lineHash(lineBytes) };
    resolveSuspect(chain, record, parsed.prev as string);
    if (seq !== expected) {
      if ((seq as number) < expected) {
        bad(chain, seq as number, number, `seq ${seq} appears again after seq ${expected - 1}`);
      }
      bad(chain, expected, number, `seq ${expected} is missing (found seq ${seq})`);
    }
    if (parsed.prev !== (chain.last?.hash ?? GENESIS)) chain.suspect = record;
    if (parsed.event === CHECKPOINT_EVENT) {
      const problem = isCanonicalCheckpointLine(decoder.decode(lineBytes), parsed)
        ? await checkpointProblem(parsed, log, this.#byKid)
        : "forged checkpoint: not in the form the service writes";
      if (problem !== null) bad(chain, record.seq, number, problem);
      chain.lastCheckpoint = record.seq;
      chain.lastCheckpointHash = record.hash;
    }
    if (parsed.event === UNSEALED_TAIL_EVENT && record.seq === 1) {
      this.#tails.push({ log, line: number, fields: parsed });
    }
    chain.last = record;
  }
}

/** Verifies the bytes of an audit file with the checkpoint keys given (by kid). */
export async function verifyAuditLog(
  bytes: Uint8Array,
  keys: readonly Ed25519PublicKey[],
): Promise<AuditVerification> {
  const verifier = new AuditLogVerifier(keys);
  const lines = splitLines(bytes);
  const endsMidLine = bytes.length > 0 && bytes.at(-1) !== 0x0a;
  for (const [index, line] of lines.entries()) {
    await verifier.line(line, { partial: endsMidLine && index === lines.length - 1 });
  }
  return verifier.finish();
}

/** Options for {@linkcode verifyAuditFile}. */
export interface VerifyAuditFileOptions {
  /** Bytes read at a time. @default {1 MiB} */
  chunkBytes?: number;
}

/** Verifies an audit file read in chunks, never whole: for files of any size. */
export async function verifyAuditFile(
  path: string,
  keys: readonly Ed25519PublicKey[],
  options: VerifyAuditFileOptions = {},
): Promise<AuditVerification> {
  const verifier = new AuditLogVerifier(keys);
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(options.chunkBytes ?? 1 << 20);
  let pending = new Uint8Array(0);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    let bytes = buffer.subarray(0, n);
    if (pending.length > 0) {
      const joined = new Uint8Array(pending.length + n);
      joined.set(pending);
      joined.set(bytes, pending.length);
      bytes = joined;
    }
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== 0x0a) continue;
      await verifier.line(bytes.subarray(start, i));
      start = i + 1;
    }
    pending = bytes.slice(start);
  }
  if (pending.length > 0) await verifier.line(pending, { partial: true });
  return verifier.finish();
}

/**
 * An `audit.unsealed_tail` line says how the previous log ended when the service started
 * again: which checkpoint verified last and how many lines followed it. Those lines are
 * unsealed for good; one added or removed since then is tampering.
 */
function checkUnsealedTail(
  chains: Map<string, ChainState>,
  tail: { log: string; line: number; fields: Record<string, unknown> },
): void {
  const { previousLog, previousCheckpoint, previousCheckpointHash, unsealed } = tail.fields;
  const previous = typeof previousLog === "string" ? chains.get(previousLog) : undefined;
  const checkpoint = previous?.lastCheckpoint ?? null;
  const found = (previous?.last?.seq ?? 0) - (checkpoint ?? 0);
  if (
    checkpoint !== previousCheckpoint ||
    (previous?.lastCheckpointHash ?? null) !== previousCheckpointHash || found !== unsealed
  ) {
    throw new Tampered({
      log: String(previousLog),
      seq: (checkpoint ?? 0) + 1,
      line: tail.line,
      reason: `log ${String(previousLog)} changed after the restart recorded at this line: ` +
        `${JSON.stringify(unsealed)} unsealed lines after checkpoint ` +
        `${JSON.stringify(previousCheckpoint)} were recorded, the file has ${found} after ` +
        `checkpoint ${JSON.stringify(checkpoint)}`,
    });
  }
}

/** Decides a pending `prev` mismatch with the line that follows it in the same log. */
function resolveSuspect(chain: ChainState, next: LineRecord, prev: string): void {
  const suspect = chain.suspect;
  if (suspect === null) return;
  chain.suspect = null;
  const follows = next.seq === suspect.seq + 1 && prev === suspect.hash;
  if (follows) blamePrevious(chain, suspect);
  bad(
    chain,
    suspect.seq,
    suspect.number,
    "the line does not belong here: its prev is not the hash of the line before, " +
      "and the next line does not follow it",
  );
}

/** The line before `suspect` is not the one `suspect` was chained to: it was altered. */
function blamePrevious(chain: ChainState, suspect: LineRecord): never {
  bad(
    chain,
    suspect.seq - 1,
    suspect.number - 1,
    `the line was altered: its hash is not the prev of seq ${suspect.seq}`,
  );
}

function nextSeq(chain: ChainState): number {
  return (chain.last?.seq ?? 0) + 1;
}

/** Why a checkpoint line of `log` does not verify with the keys given, or `null` if it does. */
export async function checkpointProblem(
  line: Record<string, unknown>,
  log: string,
  byKid: Map<string, CryptoKey>,
): Promise<string | null> {
  if (line.chain !== line.prev) return "forged checkpoint: its chain is not its prev";
  const key = typeof line.kid === "string" ? byKid.get(line.kid) : undefined;
  if (key === undefined) {
    return `checkpoint signed by a key not given (kid ${JSON.stringify(line.kid)})`;
  }
  let message: Uint8Array<ArrayBuffer>;
  let signature: Uint8Array<ArrayBuffer>;
  try {
    message = checkpointMessage({
      log,
      seq: line.seq as number,
      chain: line.chain as string,
      time: line.time as string,
    });
    signature = Uint8Array.fromBase64(String(line.sig));
  } catch {
    return "forged checkpoint: malformed fields";
  }
  return await verifyEd25519(key, signature, message)
    ? null
    : "forged checkpoint: the signature does not verify";
}

function parse(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const value = JSON.parse(decoder.decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** The file's lines as byte ranges, without newlines; no empty last line after a final newline. */
function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    lines.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}
