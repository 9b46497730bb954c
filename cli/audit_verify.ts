/**
 * `deno task audit-verify FILE --public-key PEM`: checks an audit file's hash chains and
 * the Ed25519 signatures of its checkpoints (observability/verify_audit_log.ts). Exit 0
 * with a summary when nothing was changed; exit 1 naming the first bad `seq` when a line
 * was edited, deleted, inserted or moved, or a checkpoint forged. Take the public key from
 * `GET /v1/keys` (`"use": "audit"`) or from the start-up log's kid, not from the log itself.
 *
 * @module
 */
import { type Ed25519PublicKey, importEd25519PublicPem } from "../crypto/ed25519.ts";
import {
  type AuditVerification,
  type ChainSummary,
  verifyAuditFile,
} from "../observability/verify_audit_log.ts";
import {
  CliError,
  type CliIo,
  parseCli,
  processIo,
  readTextFileOrFail,
  runTool,
  UsageError,
} from "./cli.ts";

const HELP =
  `Usage: deno task audit-verify FILE --public-key PEM [--public-key PEM...] [--require-sealed]

Checks the hash chain of every log in the audit file FILE (AUDIT_LOG_FILE) and the Ed25519
signature of every checkpoint, and prints, for an untouched log:
  N lines intact, last checkpoint at seq M, K lines after it not yet sealed
Lines after the last checkpoint could have been cut or rewritten without a trace, so they
are counted apart. Exits 1 naming the first bad seq when a line was edited, deleted,
inserted or moved, or a checkpoint forged.

Options:
  --public-key PEM   the audit signing key's public key (SPKI PEM; "use": "audit" in
                     GET /v1/keys); repeat it for a log signed by more than one key
  --require-sealed   also exit 1 when any line is not covered by a checkpoint: lines
                     after a log's last one (a service that stopped cleanly sealed its
                     log) or lines before the chain
  -h, --help         this text`;

/** Runs audit-verify with `args`; returns the exit status. */
export function main(args: string[], io: CliIo = processIo()): Promise<number> {
  return runTool("audit-verify", io, async () => {
    const { values, positionals } = parseCli(args, {
      "public-key": { type: "string", multiple: true },
      "require-sealed": { type: "boolean" },
    }, { positionals: 1 });
    if (values.help) return io.out(HELP);
    const file = positionals[0];
    if (file === undefined) throw new UsageError("Give the audit file to check");
    const keyFiles = values["public-key"] ?? [];
    if (keyFiles.length === 0) {
      throw new UsageError("Give the audit signing key with --public-key PEM");
    }
    const keys: Ed25519PublicKey[] = [];
    for (const path of keyFiles) {
      const pem = await readTextFileOrFail(path, "Public key file");
      try {
        keys.push(await importEd25519PublicPem(pem));
      } catch (error) {
        throw new CliError(`"${path}" is not an Ed25519 public key: ${(error as Error).message}`);
      }
    }
    let result: AuditVerification;
    try {
      // Read in chunks: an audit file of any size is checked in little memory.
      result = await verifyAuditFile(file, keys);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw new CliError(`"${file}" does not exist`);
      throw new CliError(`Cannot read "${file}": ${(error as Error).message}`);
    }
    if (!result.ok) {
      const { seq, log, line, reason } = result.tampering;
      throw new CliError(`seq ${seq} (log ${log}, line ${line} of ${file}): ${reason}`);
    }
    if (result.logs.length === 0) io.out("No chained lines to check");
    for (const summary of result.logs) {
      io.out((result.logs.length > 1 ? `log ${summary.log}: ` : "") + describe(summary));
    }
    if (result.unchained > 0) {
      io.out(`${result.unchained} earlier lines come before the chain and are not covered`);
    }
    if (result.endsMidLine) io.out("The last line is incomplete (cut in the middle of a write)");
    if (values["require-sealed"]) {
      const problems = result.logs.filter((s) => s.unsealed > 0).map((s) =>
        `log ${s.log} has ${s.unsealed} unsealed lines`
      );
      // Lines before the first chained line are exactly lines 1..unchained (the verifier
      // calls anything that is not JSON there tampering): no checkpoint covers them, so
      // anyone could have written them.
      if (result.unchained === 1) {
        problems.push(`line 1 of ${file} is not covered by a checkpoint`);
      } else if (result.unchained > 1) {
        problems.push(`lines 1 to ${result.unchained} of ${file} are not covered by a checkpoint`);
      }
      if (result.endsMidLine) problems.push("the file ends inside a line");
      if (problems.length > 0) {
        throw new CliError(`--require-sealed: ${problems.join(", ")}`);
      }
    }
  });
}

function describe(summary: ChainSummary): string {
  if (summary.lastCheckpoint === null) {
    return `0 lines intact, no checkpoint yet, ${summary.unsealed} lines not yet sealed`;
  }
  return `${summary.intact} lines intact, last checkpoint at seq ${summary.lastCheckpoint}, ` +
    `${summary.unsealed} lines after it not yet sealed`;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
