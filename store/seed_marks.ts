/**
 * The newest signed seed accepted for each subject (its `issued_at`), so a signed seed
 * can be accepted only when it is newer: replaying an older one cannot roll a subject
 * back. The mark is moved with one compare-and-set of the state store, so two replicas
 * cannot both accept seeds in the wrong order, and it outlives the subject: a deleted
 * subject cannot be re-created from a replayed message either.
 *
 * @module
 */
import type { StateStore } from "./state_store.ts";
import { seedMarkKey } from "./state_keys.ts";

interface SeedMark {
  /** Milliseconds since the epoch. */
  issued_at: number;
}

/** Per-subject high-water marks of accepted signed seeds. */
export class SeedMarks {
  #state: StateStore;

  constructor(state: StateStore) {
    this.#state = state;
  }

  /**
   * Moves the subject's mark to `issuedAt` (ms) when that is newer than the mark.
   *
   * @returns `true` when moved; `false` (nothing changed) for a seed not newer than the
   *   newest one accepted
   */
  advance(subject: string, issuedAt: number): Promise<boolean> {
    return this.#state.updateRecord<SeedMark, boolean>(
      seedMarkKey(subject),
      (current) =>
        current !== null && issuedAt <= current.issued_at
          ? { value: null, result: false }
          : { value: { issued_at: issuedAt }, result: true },
    );
  }
}
