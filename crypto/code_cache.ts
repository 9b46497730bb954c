/**
 * A per-seed cache of HOTP codes by counter.
 *
 * A TOTP code is the same for every request within a time step, so one HMAC per step
 * (three for a ±1 window) serves all of them. The cache keeps the pending promise, so
 * concurrent requests for a new step share one HMAC as well.
 *
 * @module
 */
import { hotp, type HotpOptions } from "./hotp.ts";
import type { CodeAt } from "./totp.ts";

/** Options for {@linkcode createCodeCache}. */
export interface CodeCacheOptions extends HotpOptions {
  /** Counters kept before the oldest is evicted. @default {8} */
  capacity?: number;
}

/** Wraps an HMAC key into a {@linkcode CodeAt} that computes each counter's code once. */
export function createCodeCache(key: CryptoKey, options: CodeCacheOptions = {}): CodeAt {
  const capacity = options.capacity ?? 8;
  const hotpOptions: HotpOptions = options.digits === undefined ? {} : { digits: options.digits };
  const codes = new Map<number | bigint, Promise<string>>();
  return function cachedCodeAt(counter: number | bigint): Promise<string> {
    let code = codes.get(counter);
    if (code === undefined) {
      code = hotp(key, counter, hotpOptions);
      // A failed HMAC must not stay cached as a rejected promise.
      code.catch(() => codes.delete(counter));
      codes.set(counter, code);
      // Maps iterate in insertion order, so the first key is the oldest.
      if (codes.size > capacity) codes.delete(codes.keys().next().value!);
    }
    return code;
  };
}
