/**
 * The seed at rest, in one of two forms (`SEED_AT_REST`):
 *
 * - `plain` (default): `DATA_DIR/seed.txt`, 64 lower-case hex characters, mode 0600 — the
 *   file the assignment's graders read.
 * - `sealed`: `DATA_DIR/seed.enc`, the RSA-OAEP ciphertext exactly as the issuer sent it
 *   (base64, one line). The plain seed exists only in memory, decrypted at start with the
 *   private key, so a copy of the data volume alone reveals nothing.
 *
 * Switching forms migrates the stored seed at start: the new file is written atomically
 * first and the old one removed after, so a crash in between leaves both, and the form in
 * force wins on the next start.
 *
 * @module
 */
import { join } from "node:path";
import { decryptOaepWithAny, encryptOaep } from "../crypto/rsa_oaep.ts";
import type { Logger } from "../observability/logger.ts";
import { syncDirectory, writeFileAtomic } from "./atomic_write.ts";

/** The plain seed file's name inside `DATA_DIR`. */
export const SEED_FILE = "seed.txt";
/** The sealed seed file's name inside `DATA_DIR`. */
export const SEALED_SEED_FILE = "seed.enc";

/** How the seed is kept on disk. */
export type SeedAtRest = "plain" | "sealed";

/** The assignment's seed: exactly 64 hex characters (32 bytes), in either case. */
export const ASSIGNMENT_SEED_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Returns the seed in its stored form (lower case) when `text` is exactly 64 hex
 * characters, else `null`.
 */
export function parseSeedHex(text: string): string | null {
  return ASSIGNMENT_SEED_HEX.test(text) ? text.toLowerCase() : null;
}

/** Encrypts a seed to the service's own key and back. */
export interface SeedSealer {
  /** base64 RSA-OAEP ciphertext of the seed's hex text, to the active key. */
  seal(hex: string): Promise<string>;
  /** The seed's hex from a ciphertext; throws when it does not decrypt to 64 hex. */
  unseal(ciphertext: string): Promise<string>;
  /**
   * {@linkcode unseal}, and whether the ciphertext is for an earlier key of the keyring
   * (`stale`): then it is sealed again to the active key, so the earlier key can be retired.
   */
  open(ciphertext: string): Promise<{ hex: string; stale: boolean }>;
}

/**
 * A sealer over the service's RSA-OAEP keys: it seals to `publicKey` (the active key) and
 * opens with any of `privateKeys`, the active one first.
 */
export function createSeedSealer(
  privateKeys: CryptoKey | readonly CryptoKey[],
  publicKey: CryptoKey,
): SeedSealer {
  const keys = Array.isArray(privateKeys) ? privateKeys : [privateKeys as CryptoKey];
  async function open(ciphertext: string) {
    const { plaintext, index } = await decryptOaepWithAny(keys, Uint8Array.fromBase64(ciphertext));
    const hex = parseSeedHex(new TextDecoder().decode(plaintext));
    if (hex === null) throw new TypeError("The sealed seed is not 64 hex characters");
    return { hex, stale: index !== 0 };
  }
  return {
    async seal(hex) {
      return (await encryptOaep(publicKey, new TextEncoder().encode(hex))).toBase64();
    },
    unseal: async (ciphertext) => (await open(ciphertext)).hex,
    open,
  };
}

/** Where and how the seed is kept. */
export interface SeedFilesOptions {
  atRest: SeedAtRest;
  /** Needed for `sealed`, and to migrate between forms. */
  sealer?: SeedSealer;
  logger: Logger;
}

/** Path of the file of the form in force. */
export function seedFilePath(dataDir: string, atRest: SeedAtRest): string {
  return join(dataDir, atRest === "plain" ? SEED_FILE : SEALED_SEED_FILE);
}

/**
 * Reads the stored seed, migrating it to the form in force when it is stored in the
 * other one. Returns `null` when there is none or it cannot be used (reported, never
 * thrown: a bad file must not make the service crash-loop).
 */
export async function loadStoredSeed(
  dataDir: string,
  options: SeedFilesOptions,
): Promise<string | null> {
  const { atRest, logger } = options;
  const current = await readForm(dataDir, atRest, options);
  const otherForm: SeedAtRest = atRest === "plain" ? "sealed" : "plain";
  const otherPath = seedFilePath(dataDir, otherForm);
  if (current !== undefined) {
    // A leftover of an interrupted migration: the form in force wins.
    if (current !== null && await exists(otherPath)) await removeFile(otherPath, dataDir);
    return current;
  }
  const other = await readForm(dataDir, otherForm, options);
  if (other === undefined || other === null) return null;
  await writeStoredSeed(dataDir, other, options);
  await removeFile(otherPath, dataDir);
  logger.info("Migrated the stored seed", { from: otherForm, to: atRest });
  return other;
}

/** Options for {@linkcode writeStoredSeed}. */
export interface WriteStoredSeedOptions extends SeedFilesOptions {
  /** The ciphertext as received, kept as is in `sealed` form. */
  ciphertext?: string;
}

/** Writes the seed atomically in the form in force (mode 0600). */
export async function writeStoredSeed(
  dataDir: string,
  hex: string,
  options: WriteStoredSeedOptions,
): Promise<void> {
  const path = seedFilePath(dataDir, options.atRest);
  if (options.atRest === "plain") return await writeFileAtomic(path, hex, { mode: 0o600 });
  const ciphertext = await sealedForm(hex, options);
  await writeFileAtomic(path, ciphertext + "\n", { mode: 0o600 });
}

/**
 * The issuer's ciphertext as received when it is for the active key; else (encrypted to an
 * earlier key of the keyring) the seed sealed to the active key, so that nothing stored
 * stays wrapped to a key that is to be retired.
 */
async function sealedForm(hex: string, options: WriteStoredSeedOptions): Promise<string> {
  const received = options.ciphertext?.replace(/\s+/g, "");
  if (received !== undefined) {
    const opened = await sealer(options).open(received).catch(() => null);
    if (opened !== null && !opened.stale && opened.hex === hex) return received;
  }
  return await sealer(options).seal(hex);
}

function sealer(options: SeedFilesOptions): SeedSealer {
  if (!options.sealer) throw new Error("The sealed seed form needs the service's key pair");
  return options.sealer;
}

/** The seed in one form: `undefined` when its file is missing, `null` when unusable. */
async function readForm(
  dataDir: string,
  form: SeedAtRest,
  options: SeedFilesOptions,
): Promise<string | null | undefined> {
  const path = seedFilePath(dataDir, form);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    options.logger.error("The seed file cannot be read; starting without a seed", {
      path,
      reason: error instanceof Error ? error.name : "unknown",
    });
    return null;
  }
  if (form === "plain") {
    // Tolerate a trailing newline from a hand-written file; anything else is corrupt.
    const hex = parseSeedHex(text.trim());
    if (hex === null) {
      options.logger.error(
        "The seed file is corrupt (expected 64 hex characters); starting without a seed",
        { path, length: text.length },
      );
    }
    return hex;
  }
  let opened: { hex: string; stale: boolean };
  try {
    opened = await sealer(options).open(text.trim());
  } catch {
    options.logger.error(
      "The sealed seed does not decrypt with any loaded key (KEYS_DIR and KEYS_DIR/previous); " +
        "starting without a seed",
      { path },
    );
    return null;
  }
  if (opened.stale) {
    // Encrypted to an earlier key: seal it to the active key so that key can be retired.
    try {
      await writeFileAtomic(path, await sealer(options).seal(opened.hex) + "\n", { mode: 0o600 });
      options.logger.info("Sealed the stored seed again, to the active key", { path });
    } catch (error) {
      options.logger.error("The stored seed could not be sealed again to the active key", {
        path,
        reason: error instanceof Error ? error.name : "unknown",
      });
    }
  }
  return opened.hex;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function removeFile(path: string, dataDir: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
  await syncDirectory(dataDir);
}
