/**
 * The assignment's seed shared by replicas (`STATE_STORE=redis`). The shared store holds it,
 * sealed like the /v1 subjects' seeds (the subject record `default`), and is the source of
 * truth; each replica keeps its seed file (`DATA_DIR/seed.txt`, or `seed.enc`) and the seed
 * in memory in step with it:
 *
 * - a seed posted to any replica is written to the shared store first, then to the file;
 * - every 250 ms each replica reads the record (one `GET`) and applies a change made through
 *   another replica, so files, `/generate-2fa` and the code log follow within a second;
 * - a verification carries the record's version as a guard, so a replica that has not yet
 *   seen a change is refused by the store and reads the new seed at once: no code is ever
 *   checked against a replaced seed, and the verification path costs no extra round trip;
 * - with no record in the store (a new cluster, or a Redis that lost its data), a replica
 *   that has a seed file publishes it, if still absent; racing replicas agree on one.
 *
 * While the store does not answer, the seed in force stays in use for `/generate-2fa` and
 * the code log; verifications answer 503 as they need the store anyway.
 *
 * @module
 */
import type { Logger } from "../observability/logger.ts";
import { parseSeedHex } from "./seed_files.ts";
import type { ReplaceOptions, ReplaceOutcome, Seed, SeedStore } from "./seed_store.ts";
import { DEFAULT_SUBJECT_PARAMS, type SeedSource } from "./seed_source.ts";
import { DEFAULT_SUBJECT, StateStoreUnavailableError } from "./state_store.ts";
import type { LoadedSubject, SubjectStore } from "./subject_store.ts";
import type { RecordGuard } from "./verification_rules.ts";
import { SubjectStoreLockedError } from "./data_key.ts";

/** Options for {@linkcode SharedSeedStore.open}. */
export interface SharedSeedStoreOptions {
  logger: Logger;
  /** How often the shared record is read, in milliseconds. @default {250} */
  pollMs?: number;
  /** The clock, in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** The default seed in the shared store, mirrored into this replica's seed file. */
export class SharedSeedStore implements SeedSource {
  #local: SeedStore;
  #subjects: SubjectStore;
  #logger: Logger;
  #now: () => number;
  #current: { seed: Seed | null; guard: RecordGuard | undefined } = {
    seed: null,
    guard: undefined,
  };
  #queue: Promise<unknown> = Promise.resolve();
  #busy = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #unavailable = false;

  private constructor(local: SeedStore, subjects: SubjectStore, options: SharedSeedStoreOptions) {
    this.#local = local;
    this.#subjects = subjects;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#current = { seed: local.seed, guard: undefined };
  }

  /**
   * Brings the local seed in step with the shared one (publishing the local one when the
   * store has none) and starts following the shared record.
   *
   * @throws {StateStoreUnavailableError} when the store does not answer at start (a data key
   *   that does not unwrap is logged instead: the replica serves its own seed file)
   */
  static async open(
    local: SeedStore,
    subjects: SubjectStore,
    options: SharedSeedStoreOptions,
  ): Promise<SharedSeedStore> {
    const store = new SharedSeedStore(local, subjects, options);
    try {
      await store.refresh();
    } catch (error) {
      // A replaced service key cannot open the shared seed: start anyway on this replica's
      // file, as /v1 does (503 until the key is restored), rather than crash-loop.
      if (!(error instanceof SubjectStoreLockedError)) throw error;
      store.#unavailable = true;
      options.logger.error(
        "The shared seed cannot be opened with this service key; serving this replica's seed file",
      );
    }
    const timer = setInterval(() => store.#poll(), options.pollMs ?? 250);
    // Following the record must not keep a finished process (or test) alive.
    Deno.unrefTimer(timer);
    store.#timer = timer;
    return store;
  }

  get seed(): Seed | null {
    return this.#current.seed;
  }

  get guard(): RecordGuard | undefined {
    return this.#current.guard;
  }

  secretHex(): string | null {
    return this.#local.secretHex();
  }

  /**
   * Stores a new seed in the shared store, then in this replica's file.
   *
   * @throws {RangeError} when `hex` is not 64 hex characters
   * @throws {StateStoreUnavailableError} when the store does not answer; nothing changed
   * @throws {SeedStoreError} when the file cannot be written (the store has the seed, and
   *   the next read of the record writes the file again)
   */
  replace(hex: string, options: ReplaceOptions = {}): Promise<ReplaceOutcome> {
    const normalized = parseSeedHex(hex);
    if (normalized === null) return Promise.reject(new RangeError("A seed is 64 hex characters"));
    // A signed seed's freshness is checked before anything changes, here and (issuedAt)
    // in the write to the shared record; the local file then just follows.
    const { admit, issuedAt, ...local } = options;
    return this.#serially(async () => {
      if (admit && !await admit()) return "stale";
      const shared = await this.#subjects.load(DEFAULT_SUBJECT);
      if (shared !== null && await this.#hexOf(shared) === normalized) {
        await this.#apply(shared, normalized, local);
        return "unchanged";
      }
      const { outcome } = await this.#subjects.put(
        DEFAULT_SUBJECT,
        Uint8Array.fromHex(normalized),
        {
          ...DEFAULT_SUBJECT_PARAMS,
        },
        { now: this.#now(), keepState: true, ...(issuedAt === undefined ? {} : { issuedAt }) },
      );
      if (outcome === "stale") return "stale";
      await this.#sync(local);
      return "set";
    });
  }

  /** Reads the shared record now and applies a change; resolves when this replica is current. */
  refresh(): Promise<void> {
    return this.#serially(() => this.#sync());
  }

  /** Stops following the shared record. */
  close(): void {
    clearInterval(this.#timer);
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    this.#busy++;
    const next = this.#queue.then(task).finally(() => this.#busy--);
    this.#queue = next.catch(() => {});
    return next;
  }

  async #poll(): Promise<void> {
    if (this.#busy > 0) return;
    try {
      await this.refresh();
      if (this.#unavailable) this.#logger.info("The shared seed can be read again");
      this.#unavailable = false;
    } catch (error) {
      if (this.#unavailable) return;
      this.#unavailable = true;
      this.#logger.warn("Cannot read the shared seed; keeping the one in force", {
        error: error instanceof StateStoreUnavailableError ? "state store unavailable" : (
          error instanceof Error ? error.name : "unknown"
        ),
      });
    }
  }

  /** Applies the shared record, or publishes the local seed when there is none. */
  async #sync(options: ReplaceOptions = {}, publish = true): Promise<void> {
    const shared = await this.#subjects.load(DEFAULT_SUBJECT);
    if (shared === null) {
      const hex = this.#local.secretHex();
      this.#current = { seed: this.#local.seed, guard: undefined };
      if (hex === null || !publish) return;
      await this.#subjects.put(DEFAULT_SUBJECT, Uint8Array.fromHex(hex), {
        ...DEFAULT_SUBJECT_PARAMS,
      }, { now: this.#now(), ifAbsent: true, keepState: true });
      this.#logger.info("Published this replica's seed to the shared store");
      return await this.#sync(options, false);
    }
    if (shared.guard.version === this.#current.guard?.version) return;
    await this.#apply(shared, await this.#hexOf(shared), options);
  }

  /** Writes the shared seed to the file (when it differs) and makes it the seed in force. */
  async #apply(shared: LoadedSubject, hex: string, options: ReplaceOptions): Promise<void> {
    const outcome = await this.#local.replace(hex, options);
    if (outcome === "set") this.#logger.info("Took the seed from the shared store");
    this.#current = { seed: this.#local.seed, guard: shared.guard };
  }

  async #hexOf(shared: LoadedSubject): Promise<string> {
    const secret = await this.#subjects.secretOf(shared.record);
    const hex = secret.toHex();
    secret.fill(0);
    return hex;
  }
}
