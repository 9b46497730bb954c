/**
 * Enrols the realistic workload's subjects through the service's own store code, in
 * process, before the service starts: `SubjectStore.put` seals each seed with the data key
 * (wrapped to the service's key, as the service does on its first enrolment) and writes
 * the record the service reads. Over HTTP, `POST /v1/subjects/{id}/enroll` costs about
 * 11 ms on this machine (a QR code and two Deno KV commits, each an fsync), so 10,000 took
 * about two minutes; here the records are the same bytes, written faster:
 *
 * - Redis: the real `RedisStateStore`, 16 enrolments at a time (64 ran into its 1 s
 *   command timeout on a loaded machine; the timeout is 10 s here).
 * - Deno KV: the real `KvStateStore` for everything but the subject records, which are
 *   committed 500 to an atomic operation on the same state.kv instead of one commit (one
 *   fsync, about 9 ms on this disk) each. The file is new, so there is no earlier
 *   verification state for `put` to clear.
 *
 * @module
 */
import { KvStateStore } from "../store/kv_state_store.ts";
import { RedisStateStore } from "../store/redis_state_store.ts";
import { SubjectStore } from "../store/subject_store.ts";
import { loadServiceKeys } from "../store/key_files.ts";
import type { StateStore } from "../store/state_store.ts";
import { SUBJECT_RECORDS_PREFIX } from "../store/state_keys.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import type { BenchSubject } from "./realistic_codes.ts";

/** Where to enrol. */
export type EnrolTarget = { store: "kv"; stateFile: string } | { store: "redis"; url: string };

const BATCH = 500;
const CONCURRENCY: Record<EnrolTarget["store"], number> = { kv: 64, redis: 16 };

/** Enrols `count` subjects `bench-0` … with fresh SHA-1 seeds; returns them and the time. */
export async function enrolSubjects(
  keysDir: string,
  target: EnrolTarget,
  count: number,
): Promise<{ subjects: BenchSubject[]; ms: number }> {
  const started = performance.now();
  const logger = createMemoryLogger("error");
  const keys = await loadServiceKeys(keysDir, { logger });
  const real: StateStore = target.store === "kv"
    ? await KvStateStore.open(target.stateFile)
    // A bulk load on a busy machine, not a request in flight: a longer command timeout.
    : await RedisStateStore.open(target.url, { logger, timeoutMs: 10_000 });
  const pending: [string[], unknown][] = [];
  const isRecord = (key: readonly string[]) => key[0] === SUBJECT_RECORDS_PREFIX[0];
  const state = target.store === "redis" ? real : new Proxy(real, {
    get(store, name) {
      if (name === "setRecord") {
        return (key: readonly string[], value: unknown, options?: { ifAbsent?: boolean }) => {
          if (!isRecord(key)) return store.setRecord(key, value, options);
          pending.push([[...key], value]);
          return Promise.resolve(true);
        };
      }
      if (name === "deleteSubject") return () => Promise.resolve();
      const member = Reflect.get(store, name, store);
      return typeof member === "function" ? member.bind(store) : member;
    },
  });
  const subjects: BenchSubject[] = Array.from({ length: count }, (_, i) => ({
    id: `bench-${i}`,
    secret: crypto.getRandomValues(new Uint8Array(20)),
  }));
  try {
    const store = await SubjectStore.open(state, keys, { logger });
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY[target.store] }, async () => {
      while (next < subjects.length) {
        const { id, secret } = subjects[next++]!;
        const { outcome } = await store.put(id, secret.slice(), {
          algorithm: "SHA1",
          digits: 6,
          period: 30,
          issuer: "bench",
          account_name: id,
        }, { now: Date.now(), ifAbsent: true });
        if (outcome !== "created") throw new Error(`${id}: ${outcome}`);
      }
    }));
  } finally {
    real.close();
  }
  if (target.store === "kv") {
    const kv = await Deno.openKv(target.stateFile);
    try {
      for (let i = 0; i < pending.length; i += BATCH) {
        const batch = kv.atomic();
        for (const [key, value] of pending.slice(i, i + BATCH)) batch.set(key, value);
        const { ok } = await batch.commit();
        if (!ok) throw new Error("A batch of subject records did not commit");
      }
    } finally {
      kv.close();
    }
  }
  return { subjects, ms: Math.round(performance.now() - started) };
}
