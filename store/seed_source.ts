/**
 * Where the assignment's `default` seed comes from, as the routes see it: the seed file of
 * this process (store/seed_store.ts, `STATE_STORE=kv`), or the shared store with the seed
 * file kept in step (store/shared_seed_store.ts, `STATE_STORE=redis`).
 *
 * @module
 */
import type { ReplaceOptions, ReplaceOutcome, Seed } from "./seed_store.ts";
import type { SubjectParams } from "./subject_store.ts";
import type { RecordGuard } from "./verification_rules.ts";
import type { SeedLookup } from "./verifier.ts";

/** The default subject's fixed parameters: the assignment's SHA-1, 6 digits, 30 s. */
export const DEFAULT_SUBJECT_PARAMS: Readonly<SubjectParams> = Object.freeze({
  algorithm: "SHA1",
  digits: 6,
  period: 30,
  issuer: null,
  account_name: null,
});

/** The default seed in force and how to replace it. */
export interface SeedSource {
  /** The seed in force, or `null` before one was stored. */
  readonly seed: Seed | null;
  /** The seed in force as hex, or `null`: for a sealed export only, never for a response. */
  secretHex(): string | null;
  /** Stores a new seed (64 hex characters). */
  replace(hex: string, options?: ReplaceOptions): Promise<ReplaceOutcome>;
  /** The guard proving `seed` current, when other processes may replace it. */
  readonly guard?: RecordGuard | undefined;
  /** Reads the shared seed again now, when a verification found the one held stale. */
  refresh?(): Promise<void>;
}

/** The {@linkcode SeedLookup} of the default subject. */
export function defaultSeedLookup(source: SeedSource): SeedLookup {
  return async (fresh) => {
    if (fresh) await source.refresh?.();
    const seed = source.seed;
    return seed === null ? null : { seed, guard: source.guard };
  };
}
