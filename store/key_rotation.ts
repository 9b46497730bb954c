/**
 * The file side of key rotation: move the active pair into `KEYS_DIR/previous/<kid>.pem`
 * and make a new active pair, or delete an earlier key. Each step is crash-safe: the old
 * key is written (atomically, fsynced) to `previous/` before the active files are replaced,
 * so a crash in between leaves the old key in both places (the service uses it once), never
 * in neither.
 *
 * @module
 */
import { join } from "node:path";
import {
  generateRsaKeyPair,
  privateKeyPemToPkcs8,
  publicSpkiFromPkcs8,
  spkiFingerprint,
} from "../crypto/rsa_keys.ts";
import { syncDirectory, writeFileAtomic } from "./atomic_write.ts";
import { KEY_FILES, KeyFileError, writeKeyPair } from "./key_files.ts";
import { PREVIOUS_DIR, previousKeyPath } from "./keyring.ts";

/** What {@linkcode rotateServiceKey} did. */
export interface Rotation {
  /** The kid of the key that became decrypt-only. */
  previousKid: string;
  /** Where it is now. */
  previousPath: string;
  /** The kid of the new active key. */
  activeKid: string;
}

/** Options for {@linkcode rotateServiceKey}. */
export interface RotateServiceKeyOptions {
  /** Size of the new key. @default {4096} */
  bits?: number;
}

/**
 * Makes a new active key pair; the current one moves to `previous/<kid>.pem` (0600).
 *
 * @throws {KeyFileError} when there is no usable active key to rotate
 */
export async function rotateServiceKey(
  keysDir: string,
  options: RotateServiceKeyOptions = {},
): Promise<Rotation> {
  const activePath = join(keysDir, KEY_FILES.private);
  const previousKid = await kidOfPrivateKeyFile(activePath);
  const pem = await Deno.readTextFile(activePath);
  const previousDir = join(keysDir, PREVIOUS_DIR);
  await Deno.mkdir(previousDir, { recursive: true, mode: 0o700 });
  const previousPath = previousKeyPath(keysDir, previousKid);
  await writeFileAtomic(previousPath, pem, { mode: 0o600 });
  await syncDirectory(keysDir);
  const pair = await generateRsaKeyPair(options.bits ?? 4096);
  await writeKeyPair(keysDir, pair, { force: true });
  return { previousKid, previousPath, activeKid: await spkiFingerprint(pair.spki) };
}

/**
 * The kid of a private key file.
 *
 * @throws {KeyFileError} naming the file
 */
export async function kidOfPrivateKeyFile(path: string): Promise<string> {
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new KeyFileError(
        `There is no key at "${path}" to rotate; make one with deno task keygen`,
      );
    }
    throw new KeyFileError(`Cannot read "${path}": ${(error as Error).message}`);
  }
  try {
    return await spkiFingerprint(publicSpkiFromPkcs8(privateKeyPemToPkcs8(pem)));
  } catch (error) {
    throw new KeyFileError(`Cannot use the key "${path}": ${(error as Error).message}`);
  }
}

/** Deletes `previous/<kid>.pem` for good (the caller has checked nothing needs it). */
export async function deletePreviousKey(keysDir: string, kid: string): Promise<void> {
  await Deno.remove(previousKeyPath(keysDir, kid));
  await syncDirectory(join(keysDir, PREVIOUS_DIR));
}
