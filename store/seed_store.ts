/**
 * The TOTP seed in force: stored by `seed_files.ts` (plain `seed.txt` or sealed
 * `seed.enc`), loaded once at start and kept in memory with its HMAC key imported, so no
 * request touches the disk or imports a key.
 *
 * @module
 */
import { createCodeCache } from "../crypto/code_cache.ts";
import { type HashAlgorithm, importHmacKey } from "../crypto/hotp.ts";
import { timingSafeEqualText } from "../crypto/timing_safe_equal.ts";
import type { CodeAt } from "../crypto/totp.ts";
import type { Logger } from "../observability/logger.ts";
import {
  loadStoredSeed,
  parseSeedHex,
  type SeedAtRest,
  seedFilePath,
  type SeedFilesOptions,
  type SeedSealer,
  writeStoredSeed,
} from "./seed_files.ts";
import { sha256 } from "../crypto/sha256.ts";

/** A loaded seed: its codes and an identifier, never its bytes. */
export interface Seed {
  /**
   * A one-way identifier (truncated SHA-256 of a domain tag and the seed), so the state
   * store can tell which seed a replay mark belongs to without holding the seed.
   */
  readonly id: string;
  /** The HOTP code for a counter, cached per step. */
  readonly codeAt: CodeAt;
}

interface LoadedSeed extends Seed {
  readonly hex: string;
}

/** The one-way identifier of a seed given as lower-case hex. */
export async function seedIdOf(hex: string): Promise<string> {
  return (await sha256(`pki-2fa seed id\0${hex}`)).subarray(0, 16).toHex();
}

/** Options for {@linkcode seedFromBytes}. */
export interface SeedFromBytesOptions {
  /** HMAC hash. @default {"SHA-1"} */
  algorithm?: HashAlgorithm;
  /** Code length. @default {6} */
  digits?: number;
}

/** A {@linkcode Seed} (identifier and cached codes) from raw secret bytes. */
export async function seedFromBytes(
  secret: Uint8Array<ArrayBuffer>,
  options: SeedFromBytesOptions = {},
): Promise<Seed> {
  const key = await importHmacKey(secret, { algorithm: options.algorithm ?? "SHA-1" });
  return {
    id: await seedIdOf(secret.toHex()),
    codeAt: createCodeCache(key, { digits: options.digits ?? 6 }),
  };
}

async function loadSeed(hex: string): Promise<LoadedSeed> {
  return { hex, ...await seedFromBytes(Uint8Array.fromHex(hex)) };
}

/** Storing the seed failed; the previous seed is still in force. */
export class SeedStoreError extends Error {
  override name = "SeedStoreError";
}

/** What {@linkcode SeedStore.replace} did; `stale` when `admit` refused it. */
export type ReplaceOutcome = "set" | "unchanged" | "stale";

/** Options for {@linkcode SeedStore.open}. */
export interface SeedStoreOptions {
  logger: Logger;
  /** How the seed is kept on disk. @default {"plain"} */
  atRest?: SeedAtRest;
  /** The service's key pair as a sealer; needed for `sealed` and for migrations. */
  sealer?: SeedSealer;
}

/** Options for {@linkcode SeedStore.replace}. */
export interface ReplaceOptions {
  /** The ciphertext the seed arrived in, stored as is in the `sealed` form. */
  ciphertext?: string;
  /**
   * Runs first, in turn with other replacements: `false` refuses this seed (`stale`,
   * nothing written). A signed seed's freshness check, so that the check and the write of
   * one seed cannot interleave with another's.
   */
  admit?: () => Promise<boolean>;
  /**
   * `issued_at` (ms) of a signed seed. The shared store (store/shared_seed_store.ts) checks
   * it against the shared record in the same compare-and-set as the write, so two replicas
   * cannot land two signed seeds in the wrong order; the file store needs only `admit`.
   */
  issuedAt?: number;
}

/** The stored seed and the seed in memory, kept in step. */
export class SeedStore {
  #dataDir: string;
  #files: SeedFilesOptions;
  #seed: LoadedSeed | null;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(dataDir: string, files: SeedFilesOptions, seed: LoadedSeed | null) {
    this.#dataDir = dataDir;
    this.#files = files;
    this.#seed = seed;
  }

  /**
   * Creates `dataDir` if needed and loads an existing seed, migrating it to the form in
   * force. A corrupt seed file is reported and treated as no seed, so a bad file never
   * makes the service crash-loop.
   */
  static async open(dataDir: string, options: SeedStoreOptions): Promise<SeedStore> {
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const files: SeedFilesOptions = {
      atRest: options.atRest ?? "plain",
      logger: options.logger,
      ...(options.sealer ? { sealer: options.sealer } : {}),
    };
    const hex = await loadStoredSeed(dataDir, files);
    return new SeedStore(dataDir, files, hex === null ? null : await loadSeed(hex));
  }

  /** The seed in force, or `null` before one was stored. */
  get seed(): Seed | null {
    return this.#seed;
  }

  /** The seed in force as hex, or `null`: for a sealed export only, never for a response. */
  secretHex(): string | null {
    return this.#seed?.hex ?? null;
  }

  /** Path of the seed file of the form in force. */
  get path(): string {
    return seedFilePath(this.#dataDir, this.#files.atRest);
  }

  /**
   * Stores a new seed (64 hex characters, any case). The file is written atomically
   * before the in-memory seed changes, and replacements run one at a time, so the file
   * and the codes served always agree.
   *
   * @throws {RangeError} when `hex` is not 64 hex characters
   * @throws {SeedStoreError} when the file cannot be written; the old seed stays
   */
  replace(hex: string, options: ReplaceOptions = {}): Promise<ReplaceOutcome> {
    const normalized = parseSeedHex(hex);
    if (normalized === null) return Promise.reject(new RangeError("A seed is 64 hex characters"));
    const next = this.#queue.then(() => this.#write(normalized, options));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #write(hex: string, options: ReplaceOptions): Promise<ReplaceOutcome> {
    if (options.admit && !await options.admit()) return "stale";
    if (this.#seed !== null && timingSafeEqualText(this.#seed.hex, hex)) return "unchanged";
    const seed = await loadSeed(hex);
    try {
      await writeStoredSeed(this.#dataDir, hex, {
        ...this.#files,
        ...(options.ciphertext === undefined ? {} : { ciphertext: options.ciphertext }),
      });
    } catch (cause) {
      this.#files.logger.error("Could not write the seed file", {
        path: this.path,
        reason: cause instanceof Error ? cause.name : "unknown",
      });
      throw new SeedStoreError("Could not store the seed", { cause });
    }
    this.#seed = seed;
    return "set";
  }
}

/**
 * Reads and loads a plain seed file without a store, for offline tools. Returns `null`
 * when the file is missing or corrupt.
 */
export async function loadSeedFile(path: string): Promise<Seed | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return null;
  }
  const hex = parseSeedHex(text.trim());
  return hex === null ? null : await loadSeed(hex);
}
