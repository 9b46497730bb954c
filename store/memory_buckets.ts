/**
 * Rate-limit buckets in this process's memory: the KV store's buckets (a KV file serves one
 * process, so memory is just as shared and needs no disk write per request), and the Redis
 * store's fallback while Redis does not answer.
 *
 * @module
 */
import type { TakeTokenOptions, TakeTokenResult } from "./state_store.ts";
import { type Bucket, bucketFullAt, takeFromBucket } from "./token_bucket.ts";

/** Buckets kept before idle, refilled ones are swept. */
const SWEEP_SIZE = 10_000;

/** Token buckets per client, swept once they have refilled (a full bucket equals none). */
export class MemoryBuckets {
  #buckets = new Map<string, Bucket>();

  /** Takes one token from `client`'s bucket. */
  take(client: string, options: TakeTokenOptions): TakeTokenResult {
    const { bucket, allowed, retryAfterMs } = takeFromBucket(
      this.#buckets.get(client) ?? null,
      options,
    );
    this.#buckets.set(client, bucket);
    if (this.#buckets.size > SWEEP_SIZE) this.#sweep(options);
    return { allowed, retryAfterMs };
  }

  #sweep(options: TakeTokenOptions): void {
    for (const [client, bucket] of this.#buckets) {
      if (bucketFullAt(bucket, options) <= options.now) this.#buckets.delete(client);
    }
  }
}
