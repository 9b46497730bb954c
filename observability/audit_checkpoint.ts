/**
 * The audit log's hash chain and what its checkpoints sign, shared by the writer
 * (audit_chain.ts) and the verifier (verify_audit_log.ts) so the two cannot disagree.
 *
 * Every line of a log carries `seq` and `prev`, the lower-case hex SHA-256 of the exact
 * UTF-8 bytes of the previous line of the same log (without its newline); the first line
 * of a log has {@linkcode GENESIS} as `prev`. A checkpoint line signs, with Ed25519, the
 * message of {@linkcode checkpointMessage}: a version tag and four fields, one per line,
 * each in exactly one spelling, so that no two checkpoints share a message and a verifier
 * in any language (or `openssl pkeyutl -verify -rawin`) can rebuild it byte for byte.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The first line of the message; a new format gets a new tag. */
export const CHECKPOINT_VERSION = "pki-2fa-audit-checkpoint-v1";

/** The event name of a checkpoint line. */
export const CHECKPOINT_EVENT = "audit.checkpoint";

/**
 * The event of a log's first line when the log before it (`previousLog`) ended with lines no
 * checkpoint sealed: they stay unsealed for good, and the line records how many there were
 * after which checkpoint, so the verifier can tell if any was added or removed later.
 */
export const UNSEALED_TAIL_EVENT = "audit.unsealed_tail";

/** `prev` of a log's first line. */
export const GENESIS: string = "0".repeat(64);

/** What a checkpoint signs. */
export interface CheckpointFields {
  /** The log (one per process): lower-case letters, digits and `-`, 1 to 64 of them. */
  log: string;
  /** The checkpoint line's own `seq`. */
  seq: number;
  /** The hash of line `seq - 1`: every line before the checkpoint, through the chain. */
  chain: string;
  /** The checkpoint line's `time`, as `Date.prototype.toISOString()` writes it. */
  time: string;
}

const LOG_ID = /^[0-9a-z-]{1,64}$/;
const HASH = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Whether `value` is a well-formed log id. */
export function isLogId(value: unknown): value is string {
  return typeof value === "string" && LOG_ID.test(value);
}

/** Whether `value` is a lower-case hex SHA-256. */
export function isChainHash(value: unknown): value is string {
  return typeof value === "string" && HASH.test(value);
}

/**
 * The signed message, UTF-8:
 * `pki-2fa-audit-checkpoint-v1\n<log>\n<seq in decimal>\n<chain>\n<time>` (no final newline).
 *
 * @throws {TypeError} when a field is not in its one canonical form
 */
export function checkpointMessage(fields: CheckpointFields): Uint8Array<ArrayBuffer> {
  if (!isLogId(fields.log)) throw new TypeError("The log id is not 1-64 of [0-9a-z-]");
  if (!Number.isSafeInteger(fields.seq) || fields.seq < 2) {
    throw new TypeError("A checkpoint's seq is a whole number of 2 or more");
  }
  if (!isChainHash(fields.chain)) throw new TypeError("chain is not a lower-case hex SHA-256");
  if (!ISO_TIME.test(fields.time) || new Date(fields.time).toISOString() !== fields.time) {
    throw new TypeError("time is not an ISO 8601 UTC time with milliseconds");
  }
  return new TextEncoder().encode(
    [CHECKPOINT_VERSION, fields.log, String(fields.seq), fields.chain, fields.time].join("\n"),
  );
}

/**
 * Whether a checkpoint line is exactly as the writer (audit_chain.ts) writes one: these keys,
 * once each, in this order, `level` "info" and `msg` "audit", no spaces. The signature covers
 * only `log`, `seq`, `chain` and `time`, and the last checkpoint of a file is covered by no
 * later line's `prev`, so without this check anything could be added to that line (a second
 * `event`, which parsers that keep the first key would read, or a made-up `subject`) and the
 * file would still verify.
 */
export function isCanonicalCheckpointLine(text: string, line: Record<string, unknown>): boolean {
  if (line.level !== "info" || line.msg !== "audit" || line.event !== CHECKPOINT_EVENT) {
    return false;
  }
  const canonical = Object.fromEntries(CHECKPOINT_KEYS.map((key) => [key, line[key]]));
  return JSON.stringify(canonical) === text;
}

/** The keys of a checkpoint line, in the order the writer puts them. */
const CHECKPOINT_KEYS = [
  "time",
  "level",
  "msg",
  "event",
  "chain",
  "kid",
  "sig",
  "log",
  "seq",
  "prev",
] as const;

/**
 * The chain hash of one line's exact bytes (without its newline). Synchronous, so an audit
 * event is written in the same turn as the request that caused it.
 */
export function lineHash(line: Uint8Array | string): string {
  return createHash("sha256").update(line).digest("hex");
}
