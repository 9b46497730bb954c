/**
 * The service key as a keyring, on the model of Vault Transit: the active pair stays in
 * `KEYS_DIR/student_private.pem` and `student_public.pem` (the assignment's names), and each
 * earlier private key is kept, decrypt-only, as `KEYS_DIR/previous/<kid>.pem` (mode 0600),
 * where `kid` is the lower-case hex SHA-256 of the public key's SPKI DER. Seeds encrypted to
 * an earlier key still decrypt, and what the service wrapped to one (the /v1 data key, a
 * sealed seed) is rewrapped to the active key at start, until the key is retired.
 *
 * @module
 */
import { join } from "node:path";
import {
  importRsaPrivateKey,
  importRsaPublicKey,
  privateKeyBits,
  privateKeyPemToPkcs8,
  publicSpkiFromPkcs8,
  spkiFingerprint,
} from "../crypto/rsa_keys.ts";
import { encodePem } from "../crypto/pem.ts";
import type { Logger } from "../observability/logger.ts";
import { KeyFileError } from "./key_files.ts";

/** The folder of earlier keys inside `KEYS_DIR`. */
export const PREVIOUS_DIR = "previous";

/** A key id: lower-case hex SHA-256 of the SPKI DER. */
export const KID = /^[0-9a-f]{64}$/;

/** An earlier key of the keyring: decrypt-only. */
export interface PreviousKey {
  kid: string;
  /** RSA-OAEP (SHA-256) decryption key, not extractable. */
  privateKey: CryptoKey;
  /** Its public half, for sealing checks and for `GET /v1/keys`. */
  publicKey: CryptoKey;
  publicPem: string;
  bits: number;
  path: string;
  /** When the file was last written (the rotation that retired it from active use). */
  mtime: Date | null;
}

/** The path of an earlier key's file. */
export function previousKeyPath(keysDir: string, kid: string): string {
  return join(keysDir, PREVIOUS_DIR, `${kid}.pem`);
}

/** Options for {@linkcode loadPreviousKeys}. */
export interface LoadPreviousKeysOptions {
  logger: Logger;
  /** The active key's kid: a copy of it among the earlier ones is skipped. */
  activeKid: string;
}

/**
 * Loads every `KEYS_DIR/previous/*.pem`, newest first. A missing folder is an empty
 * keyring; a file that is not a usable RSA private key stops the start (naming it), as the
 * active key does, since what it wraps would silently stay locked.
 *
 * @throws {KeyFileError} naming the file
 */
export async function loadPreviousKeys(
  keysDir: string,
  options: LoadPreviousKeysOptions,
): Promise<PreviousKey[]> {
  const { logger } = options;
  const dir = join(keysDir, PREVIOUS_DIR);
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".pem")) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw new KeyFileError(`Cannot read the folder of earlier keys "${dir}": ${messageOf(error)}`);
  }
  const loaded = [];
  for (const name of names.sort()) loaded.push({ name, ...await loadPreviousKey(join(dir, name)) });
  // A file named after its kid wins over a copy of the same key under another name.
  loaded.sort((a, b) => Number(b.name === `${b.kid}.pem`) - Number(a.name === `${a.kid}.pem`));
  const keys: PreviousKey[] = [];
  for (const { name, ...key } of loaded) {
    const path = key.path;
    if (key.kid === options.activeKid) {
      logger.warn("An earlier key is the active key; it is used once, as the active key", { path });
      continue;
    }
    if (keys.some((k) => k.kid === key.kid)) {
      logger.warn("The same earlier key is in two files; one is used", { path, kid: key.kid });
      continue;
    }
    if (name !== `${key.kid}.pem`) {
      logger.warn(
        `The earlier key's file is not named after its kid; rename it to ${key.kid}.pem`,
        {
          path,
        },
      );
    }
    if (key.mode !== null && (key.mode & 0o077) !== 0) {
      logger.warn("An earlier private key is readable by group or others; run chmod 600 on it", {
        path,
        mode: (key.mode & 0o777).toString(8),
      });
    }
    keys.push(key);
  }
  keys.sort((a, b) => (b.mtime?.getTime() ?? 0) - (a.mtime?.getTime() ?? 0));
  if (keys.length > 0) {
    logger.info("Loaded the earlier keys (decrypt-only)", {
      kids: keys.map((k) => k.kid).join(", "),
    });
  }
  return keys;
}

/**
 * Reads one earlier key file.
 *
 * @throws {KeyFileError} naming the file
 */
export async function loadPreviousKey(
  path: string,
): Promise<PreviousKey & { mode: number | null }> {
  let pem: string;
  let stat: Deno.FileInfo;
  try {
    pem = await Deno.readTextFile(path);
    stat = await Deno.stat(path);
  } catch (error) {
    throw new KeyFileError(`Cannot read the earlier key "${path}": ${messageOf(error)}`);
  }
  try {
    const pkcs8 = privateKeyPemToPkcs8(pem);
    const spki = publicSpkiFromPkcs8(pkcs8);
    return {
      kid: await spkiFingerprint(spki),
      privateKey: await importRsaPrivateKey(pkcs8),
      publicKey: await importRsaPublicKey(spki),
      publicPem: encodePem("PUBLIC KEY", spki),
      bits: privateKeyBits(pkcs8),
      path,
      mtime: stat.mtime,
      mode: stat.mode,
    };
  } catch (error) {
    throw new KeyFileError(
      `Cannot use the earlier key "${path}": ${messageOf(error)}; restore the right file, ` +
        "or move it out of the folder if nothing is wrapped to it any more",
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
