/**
 * The token bucket as a pure function, shared by every state store: a bucket holds up to
 * `capacity` tokens, refills continuously, and each request takes one.
 *
 * @module
 */
import type { TakeTokenOptions, TakeTokenResult } from "./state_store.ts";

/** A bucket's stored form. */
export interface Bucket {
  tokens: number;
  /** When `tokens` was computed, in milliseconds. */
  updatedAt: number;
}

/** Takes a token from `bucket` (a full bucket when `null`); returns the new bucket too. */
export function takeFromBucket(
  bucket: Bucket | null,
  options: TakeTokenOptions,
): TakeTokenResult & { bucket: Bucket } {
  const { capacity, refillPerMs, now } = options;
  const elapsed = bucket === null ? 0 : Math.max(0, now - bucket.updatedAt);
  const available = bucket === null
    ? capacity
    : Math.min(capacity, bucket.tokens + elapsed * refillPerMs);
  if (available >= 1) {
    return { allowed: true, retryAfterMs: 0, bucket: { tokens: available - 1, updatedAt: now } };
  }
  return {
    allowed: false,
    retryAfterMs: Math.ceil((1 - available) / refillPerMs),
    bucket: { tokens: available, updatedAt: now },
  };
}

/** When a bucket left alone will be full again, in milliseconds; after that it can be dropped. */
export function bucketFullAt(bucket: Bucket, options: Omit<TakeTokenOptions, "now">): number {
  return bucket.updatedAt + (options.capacity - bucket.tokens) / options.refillPerMs;
}
