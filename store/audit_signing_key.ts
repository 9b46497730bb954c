/**
 * The Ed25519 key that signs the audit log's checkpoints (`AUDIT_SIGNING_KEY`), a key of
 * its own: the RSA service key decrypts seeds and rotates, while verifiers need one stable
 * public key per log. Created (PKCS#8 PEM, mode 0600) on the first start with an audit
 * file, never overwritten; a key made by `openssl genpkey -algorithm ed25519` works too.
 *
 * @module
 */
import {
  type Ed25519SigningKey,
  generateEd25519Pem,
  importEd25519PrivatePem,
} from "../crypto/ed25519.ts";
import type { Logger } from "../observability/logger.ts";
import { KeyFileError } from "./key_files.ts";

/** The loaded key, and whether this start created it. */
export interface AuditSigningKey extends Ed25519SigningKey {
  path: string;
  generated: boolean;
}

/** Options for {@linkcode loadAuditSigningKey}. */
export interface LoadAuditSigningKeyOptions {
  logger: Logger;
}

/**
 * Loads the key at `path`, creating it when there is none.
 *
 * @throws {KeyFileError} naming the file and what to do
 */
export async function loadAuditSigningKey(
  path: string,
  options: LoadAuditSigningKeyOptions,
): Promise<AuditSigningKey> {
  let generated = false;
  let pem = await readOptional(path);
  if (pem === null) {
    const created = await generateEd25519Pem();
    try {
      // createNew: a replica sharing the file that wrote it first wins; its key is read back.
      await Deno.writeTextFile(path, created, { createNew: true, mode: 0o600 });
      generated = true;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        throw new KeyFileError(
          `AUDIT_SIGNING_KEY "${path}" does not exist and cannot be created ` +
            `(${errorText(error)}); create its folder, or set AUDIT_SIGNING_KEY to a writable path`,
        );
      }
    }
    pem = generated ? created : await readOptional(path);
    if (pem === null) throw new KeyFileError(`AUDIT_SIGNING_KEY "${path}" vanished`);
  }
  let key: Ed25519SigningKey;
  try {
    key = await importEd25519PrivatePem(pem);
  } catch (error) {
    throw new KeyFileError(
      `Cannot use AUDIT_SIGNING_KEY "${path}": ${errorText(error)} ` +
        "(make one with: openssl genpkey -algorithm ed25519 -out FILE)",
    );
  }
  const mode = (await Deno.stat(path)).mode;
  if (mode !== null && (mode & 0o077) !== 0) {
    options.logger.warn("The audit signing key is readable by group or others; run chmod 600", {
      auditSigningKey: path,
      mode: (mode & 0o777).toString(8),
    });
  }
  options.logger.info(
    generated ? "Generated the audit signing key" : "Loaded the audit signing key",
    { auditSigningKey: path, kid: key.kid },
  );
  return { ...key, path, generated };
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new KeyFileError(`Cannot read AUDIT_SIGNING_KEY "${path}": ${errorText(error)}`);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
