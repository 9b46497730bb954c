/**
 * Everything the audit chain needs from disk before the first event: the signing key, this
 * process's log id and where its chain stopped in the audit file (a file that ends inside
 * a line, after a write cut short, first gets the newline it lacks, so the next line stands
 * on its own and the damaged one stays visible to the verifier).
 *
 * @module
 */
import type { Logger } from "../observability/logger.ts";
import type { AuditChainOptions } from "../observability/audit_chain.ts";
import { readChainTail } from "../observability/audit_tail.ts";
import { type AuditSigningKey, loadAuditSigningKey } from "./audit_signing_key.ts";
import { loadAuditLogId } from "./audit_log_id.ts";

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
  const log = await loadAuditLogId(options.dataDir);
  const tail = await readChainTail(file, log);
  if (tail.endsMidLine) {
    await Deno.writeTextFile(file, "\n", { append: true });
    logger.warn("The audit file ended inside a line (a write cut short); the chain continues", {
      auditLogFile: file,
    });
  }
  logger.info("Audit chain", {
    auditLogFile: file,
    log,
    continuesAfterSeq: tail.position?.seq ?? 0,
    kid: signingKey.kid,
  });
  return {
    chain: {
      log,
      after: tail.position,
      signer: { kid: signingKey.kid, privateKey: signingKey.privateKey },
      onSealError: (error) =>
        logger.error("An audit checkpoint could not be signed", {
          error: error instanceof Error ? error.name : "unknown",
        }),
    },
    signingKey,
  };
}
