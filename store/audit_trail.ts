/**
 * Everything the audit chain needs from disk before the first event: the signing key, this
 * process's log id and where its chain stopped in the audit file (a file that ends inside
 * a line, after a write cut short, first gets the newline it lacks, so the next line stands
 * on its own and the damaged one stays visible to the verifier).
 *
 * The chain continues only from its last checkpoint whose signature verifies with the audit
 * key. When lines of the log follow it (a crash before the seal, or lines someone appended
 * while the service was stopped), they are never signed over: the service starts a new log
 * (a new id) whose first line, `audit.unsealed_tail`, names the old log, its last verified
 * checkpoint (seq and line hash) and how many lines followed it. The verifier reports those
 * lines as unsealed, so `audit-verify --require-sealed` fails, and reports tampering when
 * their number no longer matches.
 *
 * @module
 */
import type { Logger } from "../observability/logger.ts";
import type { AuditChainOptions } from "../observability/audit_chain.ts";
import { readChainTail } from "../observability/audit_tail.ts";
import { type AuditSigningKey, loadAuditSigningKey } from "./audit_signing_key.ts";
import { loadAuditLogId, startNewAuditLogId } from "./audit_log_id.ts";
import { UNSEALED_TAIL_EVENT } from "../observability/audit_checkpoint.ts";
import { importEd25519PublicPem } from "../crypto/ed25519.ts";

/** Options for {@linkcode prepareAuditChain}. */
export interface PrepareAuditChainOptions {
  dataDir: string;
  /** AUDIT_SIGNING_KEY. */
  signingKeyPath: string;
  logger: Logger;
}

/** The chain's settings and the key, whose public half `GET /v1/keys` publishes. */
export interface PreparedAuditChain {
  chain: Omit<AuditChainOptions, "emit" | "now">;
  signingKey: AuditSigningKey;
}

/**
 * Loads (or creates) the key and the log id and finds the chain's last line in `file`.
 *
 * @throws {KeyFileError} when the key or the log id file cannot be used
 */
export async function prepareAuditChain(
  file: string,
  options: PrepareAuditChainOptions,
): Promise<PreparedAuditChain> {
  const { logger } = options;
  const signingKey = await loadAuditSigningKey(options.signingKeyPath, { logger });
  let log = await loadAuditLogId(options.dataDir);
  const publicKey = await importEd25519PublicPem(signingKey.publicPem);
  const tail = await readChainTail(file, log, { keys: [publicKey] });
  if (tail.endsMidLine) {
    await Deno.writeTextFile(file, "\n", { append: true });
    logger.warn("The audit file ended inside a line (a write cut short); the chain continues", {
      auditLogFile: file,
    });
  }
  let after = tail.checkpoint;
  let opening = null;
  if (tail.unsealed > 0) {
    const previousLog = log;
    log = await startNewAuditLogId(options.dataDir);
    after = null;
    opening = {
      level: "info",
      msg: "audit",
      event: UNSEALED_TAIL_EVENT,
      previousLog,
      previousCheckpoint: tail.checkpoint?.seq ?? null,
      previousCheckpointHash: tail.checkpoint?.hash ?? null,
      unsealed: tail.unsealed,
    };
    logger.warn(
      "The audit log ended with lines no checkpoint sealed (a crash, or lines written by someone else); they stay unsealed and a new log begins",
      { auditLogFile: file, previousLog, unsealed: tail.unsealed, log },
    );
  }
  logger.info("Audit chain", {
    auditLogFile: file,
    log,
    continuesAfterSeq: after?.seq ?? 0,
    kid: signingKey.kid,
  });
  return {
    chain: {
      log,
      after,
      opening,
      signer: { kid: signingKey.kid, privateKey: signingKey.privateKey },
      onSealError: (error) =>
        logger.error("An audit checkpoint could not be signed", {
          error: error instanceof Error ? error.name : "unknown",
        }),
    },
    signingKey,
  };
}
