/**
 * The audit log: one JSON line per security event, on standard output and, when
 * `AUDIT_LOG_FILE` is set, appended to that file too. It says who (client address,
 * request id) did what and why, and never carries a code, seed, token or ciphertext.
 *
 * With a file, the log is tamper-evident: every line carries the `log` id of its process,
 * a `seq` and the hash of the line before (`prev`), and signed checkpoint lines seal the
 * chain (audit_chain.ts; `deno task audit-verify` checks it).
 *
 * The change an event records has already happened when it is written, so a file that
 * cannot be written (full disk, removed volume) must not turn it into a 500: the line still
 * goes to standard output, the failure is logged once, and {@linkcode AuditLog.healthy}
 * is false, which fails `/ready`, until a write to the file succeeds again.
 *
 * @module
 */

/** The security events the service records. */
export type AuditEvent =
  | "seed.set"
  | "seed.unchanged"
  | "seed.rejected"
  | "seed.resync"
  | "verify.ok"
  | "verify.fail"
  | "verify.replay"
  | "verify.locked"
  | "auth.denied"
  | "rate.limited"
  /** A seed left the service, sealed to a recipient's public key (`fingerprint`). */
  | "seed.exported"
  /** A subject got a new set of recovery codes (every earlier one void). */
  | "recovery.generated"
  /** A recovery code was accepted (and is used up); never the code itself. */
  | "recovery.used"
  /** The active service key changed since the last start (`kid`, `previousKid`). */
  | "key.rotated"
  /** A decrypt-only service key was removed from the keyring since the last start (`kid`). */
  | "key.retired"
  /** The /v1 data key was rewrapped from `previousKid` to the active key `kid`. */
  | "datakey.rewrapped"
  /** A subject's failure count and lock were cleared (admin console). */
  | "subject.unlocked"
  /** A subject and its state were deleted. */
  | "subject.deleted"
  /** A console enrolment's first code was confirmed: the subject is in force. */
  | "subject.confirmed"
  /** An admin console session began (sign-in with the admin token). */
  | "admin.signed_in"
  /** An admin console session was ended by signing out. */
  | "admin.signed_out";

/** The context of an event. */
export interface AuditFields {
  requestId?: string | undefined;
  client?: string | undefined;
  subject?: string | undefined;
  reason?: string | undefined;
  /** SHA-256 of the SPKI DER of a key involved (the export's recipient). */
  fingerprint?: string | undefined;
  /** How many recovery codes the subject has left after the event. */
  remaining?: number | undefined;
  /** SHA-256 of the SPKI DER of a service key (its kid in `GET /v1/keys`). */
  kid?: string | undefined;
  /** The kid a key event replaced. */
  previousKid?: string | undefined;
}

/** Where audit events go. */
export interface AuditLog {
  /** Records an event; never throws. */
  record(event: AuditEvent, fields: AuditFields): void;
  /** False while the audit file cannot be written (its last write failed). */
  healthy(): boolean;
  /** Writes the last checkpoint (with a chain) and closes the file. */
  close(): Promise<void>;
}

/** The audit file as {@linkcode createAuditLog} uses it. */
export interface AuditFile {
  /** Writes some of `bytes` (a short count when the disk fills), as `Deno.FsFile` does. */
  writeSync(bytes: Uint8Array): number;
  /** The file's size, to cut a line that was only partly written. */
  statSync(): { size: number };
  truncateSync(length: number): void;
  close(): void;
}

/** Options for {@linkcode createAuditLog}. */
export interface AuditLogOptions {
  /** Each line, in addition to the file. @default {standard output, batched} */
  write?: (line: string) => void;
  /** A file to append every line to. */
  file?: string | null;
  /** Clock, in milliseconds. @default {Date.now} */
  now?: () => number;
  /** Opens `file` for appending (tests give one that fails). @default {Deno.openSync, mode 0600} */
  open?: (path: string) => AuditFile;
  /** Chain and checkpoint the lines (only with a file). */
  chain?: Omit<AuditChainOptions, "emit" | "now"> | null;
}

import { stdoutSink } from "./log_sink.ts";
import { isoTime } from "./iso_time.ts";
import { appendFields, overridesAny } from "./json_line.ts";

/** The members every audit line starts with. */
const LEADING = ["time", "level", "msg", "event"];
import { AuditChain, type AuditChainOptions } from "./audit_chain.ts";

const encoder = new TextEncoder();

/** Opens the audit log (creating the file's folder entry if needed, mode 0600). */
export function createAuditLog(options: AuditLogOptions = {}): AuditLog {
  const write = options.write ?? stdoutSink;
  const now = options.now ?? Date.now;
  const path = options.file ?? null;
  const open = options.open ??
    ((path: string) => Deno.openSync(path, { append: true, create: true, mode: 0o600 }));
  const file = path === null ? null : open(path);
  let failing = false;
  /** A cut line could not be removed: the next line starts with a newline of its own. */
  let fragment = false;

  /** One line about the file on the same output as the events, when its state changes. */
  function report(level: "error" | "info", msg: string, error?: unknown): void {
    write(JSON.stringify({
      time: new Date(now()).toISOString(),
      level,
      msg,
      path,
      ...(error === undefined ? {} : { error: error instanceof Error ? error.name : "unknown" }),
    }));
  }

  function emit(line: string): void {
    write(line);
    if (file === null) return;
    try {
      // One write with O_APPEND per line: lines from concurrent requests (and replicas
      // sharing the file) never interleave.
      const bytes = encoder.encode((fragment ? "\n" : "") + line + "\n");
      writeWhole(file, bytes);
      fragment = false;
      if (failing) {
        failing = false;
        report("info", "The audit file is written again");
      }
    } catch (caught) {
      const cut = caught as CutLine;
      fragment ||= cut.left;
      const error = cut.cause;
      if (!failing) {
        failing = true;
        report(
          "error",
          "The audit file cannot be written: events go to standard output only and /ready fails until it can",
          error,
        );
      }
    }
  }
  const chain = file !== null && options.chain
    ? new AuditChain({ ...options.chain, emit, now })
    : null;
  return {
    record(event, fields) {
      const time = isoTime(now());
      if (chain === null && !overridesAny(fields, LEADING)) {
        emit(
          appendFields(`{"time":"${time}","level":"info","msg":"audit","event":"${event}"`, fields),
        );
        return;
      }
      const entry = { time, level: "info", msg: "audit", event, ...fields };
      if (chain === null) emit(JSON.stringify(entry));
      else chain.append(entry);
    },
    healthy: () => !failing,
    async close() {
      await chain?.close();
      file?.close();
    },
  };
}

/** A write failed after part of the line reached the file; `left`: the part is still there. */
class CutLine extends Error {
  constructor(override readonly cause: unknown, readonly left: boolean) {
    super("The audit line was cut short");
  }
}

/**
 * Writes the whole line or nothing. A full disk writes part of a line (a short count) and
 * then fails; the next line would then be appended onto that fragment and the verifier
 * could not tell the result from an edit. So a short write goes on with the rest, and a
 * failure takes the part already written back off the end of the file: the line is missing
 * as a whole, a gap in `seq`, as docs/security.md promises.
 *
 * @throws {CutLine} (its `cause`: the write's error) when the line could not be written
 */
function writeWhole(file: AuditFile, bytes: Uint8Array): void {
  let written = 0;
  try {
    while (written < bytes.length) {
      const n = file.writeSync(bytes.subarray(written));
      if (!(n > 0)) throw new Deno.errors.WriteZero("The audit file took no bytes");
      written += n;
    }
  } catch (error) {
    if (written === 0) throw new CutLine(error, false);
    try {
      // O_APPEND put the part at the end: it is the file's last `written` bytes.
      file.truncateSync(file.statSync().size - written);
    } catch {
      throw new CutLine(error, true);
    }
    throw new CutLine(error, false);
  }
}
