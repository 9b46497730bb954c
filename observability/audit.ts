/**
 * The audit log: one JSON line per security event, on standard output and, when
 * `AUDIT_LOG_FILE` is set, appended to that file too. It says who (client address,
 * request id) did what and why, and never carries a code, seed, token or ciphertext.
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
  | "recovery.used";

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
}

/** Where audit events go. */
export interface AuditLog {
  record(event: AuditEvent, fields: AuditFields): void;
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
}

import { stdoutSink } from "./log_sink.ts";

const encoder = new TextEncoder();

/** Opens the audit log (creating the file's folder entry if needed, mode 0600). */
export function createAuditLog(options: AuditLogOptions = {}): AuditLog {
  const write = options.write ?? stdoutSink;
  const now = options.now ?? Date.now;
  const file = options.file
    ? Deno.openSync(options.file, { append: true, create: true, mode: 0o600 })
    : null;
  return {
    record(event, fields) {
      const line = JSON.stringify({
        time: new Date(now()).toISOString(),
        level: "info",
        msg: "audit",
        event,
        ...fields,
      });
      write(line);
      // One write with O_APPEND per line: lines from concurrent requests never interleave.
      file?.writeSync(encoder.encode(line + "\n"));
    },
    close() {
      file?.close();
    },
  };
}
