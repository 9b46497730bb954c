/**
 * Group commit of verifications on Deno KV. Each KV commit waits for the disk (about 4 ms on
 * our machines), so one commit per verification caps a process at a few hundred a second.
 * Instead, verifications that arrive while a commit is in flight wait for the next one and
 * go in together: one read of every key they touch, the rules applied in arrival order (two
 * attempts on one seed see each other's result, so exactly-once holds inside a batch too),
 * and one atomic commit that checks every version read. When idle, a verification commits
 * at once, alone. A commit that loses to another writer of the file (a record replaced under
 * a guard) is read and applied again.
 *
 * @module
 */
import {
  applyVerification,
  type RecordedVerification,
  type VerificationAttempt,
  type VerificationState,
} from "./verification_rules.ts";
import { verificationKey } from "./state_keys.ts";

/** Deno KV refuses an atomic operation with more checks than this. */
const MAX_CHECKS = 100;
/** Deno KV reads at most this many keys in one `getMany`. */
const MAX_READ = 10;
const MAX_ATTEMPTS = 100;

interface Pending {
  attempt: VerificationAttempt;
  resolve(result: RecordedVerification): void;
  reject(error: unknown): void;
}

function stateKey(attempt: VerificationAttempt): Deno.KvKey {
  return [...verificationKey(attempt.subject), attempt.seedId];
}

/** Verifications on one KV file, committed in groups. */
export class KvVerificationBatch {
  #kv: Deno.Kv;
  #pending: Pending[] = [];
  #draining = false;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /** Records one verification; resolves once the commit holding it is durable. */
  record(attempt: VerificationAttempt): Promise<RecordedVerification> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ attempt, resolve, reject });
      if (!this.#draining) this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#takeBatch();
        try {
          const results = await this.#commit(batch.map((p) => p.attempt));
          batch.forEach((p, i) => p.resolve(results[i]!));
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** The oldest pending attempts whose keys fit one atomic operation's checks. */
  #takeBatch(): Pending[] {
    const keys = new Set<string>();
    let count = 0;
    for (const pending of this.#pending) {
      const touched = [stateKey(pending.attempt)];
      if (pending.attempt.guard) touched.push([...pending.attempt.guard.key]);
      const fresh = touched.map((k) => JSON.stringify(k)).filter((k) => !keys.has(k));
      if (keys.size + fresh.length > MAX_CHECKS) break;
      for (const key of fresh) keys.add(key);
      count++;
    }
    return this.#pending.splice(0, count);
  }

  async #commit(attempts: VerificationAttempt[]): Promise<RecordedVerification[]> {
    for (let round = 0; round < MAX_ATTEMPTS; round++) {
      const entries = await this.#read(attempts);
      const states = new Map<string, VerificationState | null>();
      const dirty = new Set<string>();
      const results = attempts.map((attempt): RecordedVerification => {
        const { guard } = attempt;
        if (guard) {
          const record = entries.get(JSON.stringify(guard.key))!;
          if (record.versionstamp === null) return { kind: "missing" };
          if (record.versionstamp !== guard.version) return { kind: "stale" };
        }
        const key = JSON.stringify(stateKey(attempt));
        const stored = states.has(key)
          ? states.get(key)!
          : entries.get(key)!.value as VerificationState | null;
        const { state, result } = applyVerification(stored, attempt);
        if (state !== null) {
          states.set(key, state);
          dirty.add(key);
        }
        return result;
      });
      if (dirty.size === 0) return results;
      const operation = this.#kv.atomic();
      for (const entry of entries.values()) operation.check(entry);
      for (const key of dirty) operation.set(JSON.parse(key), states.get(key));
      if ((await operation.commit()).ok) return results;
    }
    throw new Error("The state store stayed contended; giving up");
  }

  /** Every key the attempts touch, read in parallel groups, by their JSON form. */
  async #read(attempts: VerificationAttempt[]): Promise<Map<string, Deno.KvEntryMaybe<unknown>>> {
    const keys = new Map<string, Deno.KvKey>();
    for (const attempt of attempts) {
      keys.set(JSON.stringify(stateKey(attempt)), stateKey(attempt));
      if (attempt.guard) keys.set(JSON.stringify(attempt.guard.key), [...attempt.guard.key]);
    }
    const all = [...keys.values()];
    const groups = [];
    for (let i = 0; i < all.length; i += MAX_READ) groups.push(all.slice(i, i + MAX_READ));
    const read = (await Promise.all(groups.map((group) => this.#kv.getMany(group)))).flat();
    return new Map(read.map((entry) => [JSON.stringify(entry.key), entry]));
  }
}
