/**
 * The stored TOTP seed: `DATA_DIR/seed.txt`, 64 lower-case hex characters, no newline,
 * mode 0600 — the form the assignment's graders read. The seed is loaded once at start
 * and kept in memory with its HMAC key imported, so no request touches the disk or
 * imports a key.
 *
 * @module
 */
import { join } from "node:path";
import { createCodeCache } from "../crypto/code_cache.ts";
import { importHmacKey } from "../crypto/hotp.ts";
import { timingSafeEqualText } from "../crypto/timing_safe_equal.ts";
import type { CodeAt } from "../crypto/totp.ts";
import type { Logger } from "../logger.ts";
import { writeFileAtomic } from "./atomic_write.ts";

/** The seed file's name inside `DATA_DIR`. */
export const SEED_FILE = "seed.txt";

const SEED_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Returns the seed in its stored form (lower case) when `text` is exactly 64 hex
 * characters, else `null`.
 */
export function parseSeedHex(text: string): string | null {
  return SEED_HEX.test(text) ? text.toLowerCase() : null;
}

/** A loaded seed: its codes, never its bytes. */
export interface Seed {
  /** The HOTP code for a counter, cached per step. */
  readonly codeAt: CodeAt;
}

interface LoadedSeed extends Seed {
  readonly hex: string;
}

async function loadSeed(hex: string): Promise<LoadedSeed> {
  const key = await importHmacKey(Uint8Array.fromHex(hex));
  return { hex, codeAt: createCodeCache(key) };
}

/** Storing the seed failed; the previous seed is still in force. */
export class SeedStoreError extends Error {
  override name = "SeedStoreError";
}

/** What {@linkcode SeedStore.replace} did. */
export type ReplaceOutcome = "set" | "unchanged";

/** Options for {@linkcode SeedStore.open}. */
export interface SeedStoreOptions {
  logger: Logger;
}

/** The seed file and the seed in memory, kept in step. */
export class SeedStore {
  #path: string;
  #seed: LoadedSeed | null;
  #logger: Logger;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, seed: LoadedSeed | null, logger: Logger) {
    this.#path = path;
    this.#seed = seed;
    this.#logger = logger;
  }

  /**
   * Creates `dataDir` if needed and loads an existing seed. A corrupt seed file is
   * reported and treated as no seed, so a bad file never makes the service crash-loop.
   */
  static async open(dataDir: string, options: SeedStoreOptions): Promise<SeedStore> {
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, SEED_FILE);
    const hex = await readSeedFile(path, options.logger);
    return new SeedStore(path, hex === null ? null : await loadSeed(hex), options.logger);
  }

  /** The seed in force, or `null` before one was stored. */
  get seed(): Seed | null {
    return this.#seed;
  }

  /** Path of the seed file. */
  get path(): string {
    return this.#path;
  }

  /**
   * Stores a new seed (64 hex characters, any case). The file is written atomically
   * before the in-memory seed changes, and replacements run one at a time, so the file
   * and the codes served always agree.
   *
   * @throws {RangeError} when `hex` is not 64 hex characters
   * @throws {SeedStoreError} when the file cannot be written; the old seed stays
   */
  replace(hex: string): Promise<ReplaceOutcome> {
    const normalized = parseSeedHex(hex);
    if (normalized === null) return Promise.reject(new RangeError("A seed is 64 hex characters"));
    const next = this.#queue.then(() => this.#write(normalized));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #write(hex: string): Promise<ReplaceOutcome> {
    if (this.#seed !== null && timingSafeEqualText(this.#seed.hex, hex)) return "unchanged";
    const seed = await loadSeed(hex);
    try {
      await writeFileAtomic(this.#path, hex, { mode: 0o600 });
    } catch (cause) {
      this.#logger.error("Could not write the seed file", {
        path: this.#path,
        reason: cause instanceof Error ? cause.name : "unknown",
      });
      throw new SeedStoreError("Could not store the seed", { cause });
    }
    this.#seed = seed;
    return "set";
  }
}

/**
 * Reads and loads a seed file without a store, for offline tools. Returns `null` when
 * the file is missing or corrupt.
 */
export async function loadSeedFile(path: string): Promise<Seed | null> {
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const hex = await readSeedFile(path, silent);
  return hex === null ? null : await loadSeed(hex);
}

async function readSeedFile(path: string, logger: Logger): Promise<string | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    logger.error("The seed file cannot be read; starting without a seed", {
      path,
      reason: error instanceof Error ? error.name : "unknown",
    });
    return null;
  }
  // Tolerate a trailing newline from a hand-written file; anything else is corrupt.
  const hex = parseSeedHex(text.trim());
  if (hex === null) {
    logger.error("The seed file is corrupt (expected 64 hex characters); starting without a seed", {
      path,
      length: text.length,
    });
  }
  return hex;
}
