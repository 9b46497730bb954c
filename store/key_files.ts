/**
 * The service's RSA key pair in `KEYS_DIR`, under the file names clients of the
 * assignment already use. On first start with no private key, a new RSA-4096 pair is
 * generated; an existing key is never overwritten.
 *
 * @module
 */
import { join } from "node:path";
import {
  generateRsaKeyPair,
  importRsaPrivateKey,
  importRsaPublicKey,
  privateKeyBits,
  privateKeyPemToPkcs8,
  publicKeyPemToSpki,
  publicSpkiFromPkcs8,
  type RsaKeyPairPem,
  spkiFingerprint,
} from "../crypto/rsa_keys.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import { encodePem } from "../crypto/pem.ts";
import type { Logger } from "../observability/logger.ts";

/** File names inside `KEYS_DIR`. */
export const KEY_FILES = {
  private: "student_private.pem",
  public: "student_public.pem",
  instructor: "instructor_public.pem",
} as const;

/** The loaded key pair. */
export interface ServiceKeys {
  /** RSA-OAEP (SHA-256) decryption key, not extractable. */
  privateKey: CryptoKey;
  /** RSA-OAEP (SHA-256) encryption key of the same pair, for sealing the seed at rest. */
  publicKey: CryptoKey;
  /** The private key for RSA-OAEP with SHA-1 (PSKC `rsa-oaep-mgf1p` key transport only). */
  privateKeyOaepSha1: CryptoKey;
  /** The issuer's public key (`instructor_public.pem`, any size) as SPKI DER, or `null`. */
  issuerSpki: Uint8Array<ArrayBuffer> | null;
  /** The public key as SPKI PEM, derived from the private key. */
  publicPem: string;
  /** SHA-256 of the public key's SPKI DER, hex. */
  fingerprint: string;
  bits: number;
  privatePath: string;
  publicPath: string;
  /** True when this start generated the pair. */
  generated: boolean;
}

/** A key file is missing, unreadable or unusable; the message names the file. */
export class KeyFileError extends Error {
  override name = "KeyFileError";
}

/** Options for {@linkcode loadServiceKeys}. */
export interface LoadServiceKeysOptions {
  logger: Logger;
  /** Size of a generated key. @default {4096} */
  generateBits?: number;
}

/**
 * Loads `student_private.pem` (PKCS#8 or PKCS#1), generating a pair first when there is
 * none. Warns when the private key is readable by group or others, and when
 * `student_public.pem` is not the private key's public half (seeds encrypted to it
 * could never be decrypted).
 */
export async function loadServiceKeys(
  keysDir: string,
  options: LoadServiceKeysOptions,
): Promise<ServiceKeys> {
  const { logger } = options;
  const privatePath = join(keysDir, KEY_FILES.private);
  const publicPath = join(keysDir, KEY_FILES.public);
  let pem = await readOptional(privatePath);
  let generated = false;
  if (pem === null) {
    pem = await generateKeyFiles(keysDir, options.generateBits ?? 4096);
    generated = true;
  }
  let pkcs8: Uint8Array<ArrayBuffer>;
  let privateKey: CryptoKey;
  let privateKeyOaepSha1: CryptoKey;
  try {
    pkcs8 = privateKeyPemToPkcs8(pem);
    privateKey = await importRsaPrivateKey(pkcs8);
    privateKeyOaepSha1 = await importRsaPrivateKey(pkcs8, { hash: "SHA-1" });
  } catch (error) {
    throw new KeyFileError(`Cannot use the private key "${privatePath}": ${messageOf(error)}`);
  }
  const spki = publicSpkiFromPkcs8(pkcs8);
  const publicPem = encodePem("PUBLIC KEY", spki);
  const fingerprint = await spkiFingerprint(spki);
  await warnOnLoosePermissions(privatePath, logger);
  await checkPublicFile(publicPath, spki, publicPem, logger);
  const issuerSpki = await loadIssuerKey(join(keysDir, KEY_FILES.instructor));
  logger.info(generated ? "Generated a new RSA key pair" : "Loaded the RSA private key", {
    privateKey: privatePath,
    publicKey: publicPath,
    bits: privateKeyBits(pkcs8),
    fingerprintSha256: fingerprint,
  });
  return {
    privateKey,
    privateKeyOaepSha1,
    publicKey: await importRsaPublicKey(spki),
    issuerSpki,
    publicPem,
    fingerprint,
    bits: privateKeyBits(pkcs8),
    privatePath,
    publicPath,
    generated,
  };
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new KeyFileError(`Cannot read the key file "${path}": ${messageOf(error)}`);
  }
}

/** Options for {@linkcode writeKeyPair}. */
export interface WriteKeyPairOptions {
  /** Replace existing key files. @default {false} */
  force?: boolean;
}

/**
 * Writes a key pair as `student_private.pem` (mode 0600) and `student_public.pem`
 * (mode 0644), creating the folder. Without `force`, an existing private key is never
 * replaced, even one that appears between a check and the write.
 */
export async function writeKeyPair(
  keysDir: string,
  pair: RsaKeyPairPem,
  options: WriteKeyPairOptions = {},
): Promise<{ privatePath: string; publicPath: string }> {
  const privatePath = join(keysDir, KEY_FILES.private);
  const publicPath = join(keysDir, KEY_FILES.public);
  await Deno.mkdir(keysDir, { recursive: true, mode: 0o700 });
  if (options.force) {
    await writeFileAtomic(privatePath, pair.privatePem, { mode: 0o600 });
  } else {
    await Deno.writeTextFile(privatePath, pair.privatePem, { createNew: true, mode: 0o600 });
  }
  await writeFileAtomic(publicPath, pair.publicPem, { mode: 0o644 });
  return { privatePath, publicPath };
}

async function generateKeyFiles(keysDir: string, bits: number): Promise<string> {
  const pair = await generateRsaKeyPair(bits);
  const privatePath = join(keysDir, KEY_FILES.private);
  try {
    await writeKeyPair(keysDir, pair);
  } catch (error) {
    throw new KeyFileError(
      `There is no private key at "${privatePath}" and one cannot be created there ` +
        `(${messageOf(error)}). Create one with "deno task keygen --dir ${keysDir}" or ` +
        `"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out ${privatePath}"`,
    );
  }
  return pair.privatePem;
}

async function warnOnLoosePermissions(path: string, logger: Logger): Promise<void> {
  const mode = (await Deno.stat(path)).mode;
  if (mode !== null && (mode & 0o077) !== 0) {
    logger.warn("The private key is readable by group or others; run chmod 600 on it", {
      privateKey: path,
      mode: (mode & 0o777).toString(8),
    });
  }
}

async function checkPublicFile(
  path: string,
  spki: Uint8Array,
  publicPem: string,
  logger: Logger,
): Promise<void> {
  const text = await readOptional(path);
  if (text === null) {
    try {
      await Deno.writeTextFile(path, publicPem, { createNew: true, mode: 0o644 });
      logger.info("Wrote the missing public key next to the private key", { publicKey: path });
    } catch {
      logger.warn("The public key file is missing and cannot be written", { publicKey: path });
    }
    return;
  }
  let matches = false;
  try {
    matches = publicKeyPemToSpki(text).toHex() === spki.toHex();
  } catch {
    // An unreadable public key file is as useless as a wrong one.
  }
  if (!matches) {
    logger.warn(
      "The public key file does not belong to the private key; seeds encrypted to it cannot be decrypted",
      { publicKey: path },
    );
  }
}

/** The issuer's key when its file exists; an unreadable one stops the start. */
async function loadIssuerKey(path: string): Promise<Uint8Array<ArrayBuffer> | null> {
  const text = await readOptional(path);
  if (text === null) return null;
  try {
    return publicKeyPemToSpki(text);
  } catch (error) {
    throw new KeyFileError(`Cannot use the issuer key "${path}": ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
