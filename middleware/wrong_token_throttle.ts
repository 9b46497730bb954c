/**
 * A budget of wrong tokens per client, shared by every place that takes `ADMIN_TOKEN` (or
 * another bearer token): `/v1`, `/decrypt-seed`, `/generate-2fa`, `/metrics` and the admin
 * console's sign-in. Without it a token could be guessed at the API's rate limit (120 a
 * minute per address by default, unlimited with `RATE_LIMIT_PER_MINUTE=0`), and a throttle on
 * one door alone would only send a guesser to another.
 *
 * - A client may present {@linkcode WRONG_TOKENS} wrong tokens; one more comes back every
 *   {@linkcode WRONG_TOKEN_WINDOW_MS} / {@linkcode WRONG_TOKENS} (90 s). The count is a token
 *   bucket in the state store, so replicas sharing Redis share it.
 * - A wrong token beyond the budget blocks the client in this process until the budget has one
 *   again: while blocked, every token it presents is answered 429 before it is compared, the
 *   right one too, so a blocked guesser learns nothing. The block is checked in memory: a
 *   request with the right token costs no state-store round trip.
 * - Requests without a token are not guesses and are not counted.
 *
 * @module
 */
import type { Context } from "hono";
import type { AuditLog } from "../observability/audit.ts";
import type { StateStore } from "../store/state_store.ts";
import { auditContext } from "./context.ts";
import { retryAfterSeconds, setRetryAfter } from "./retry_after.ts";

/** Wrong tokens a client may present before it is blocked. */
export const WRONG_TOKENS = 10;

/** The time in which {@linkcode WRONG_TOKENS} come back, one by one: 15 minutes. */
export const WRONG_TOKEN_WINDOW_MS = 15 * 60 * 1000;

/** Blocked clients kept before expired blocks are swept. */
const SWEEP_SIZE = 10_000;

/** Options for {@linkcode WrongTokenThrottle}. */
export interface WrongTokenThrottleOptions {
  /** Where the budgets are kept (`takeToken`). */
  store: StateStore;
  /** The clock, in milliseconds. */
  now: () => number;
}

/** The wrong-token budget of every client (see the module documentation). */
export class WrongTokenThrottle {
  #store: StateStore;
  #now: () => number;
  #blockedUntil = new Map<string, number>();

  constructor(options: WrongTokenThrottleOptions) {
    this.#store = options.store;
    this.#now = options.now;
  }

  /** How long `client` must still wait before a token it presents is compared; 0: not. */
  waitMs(client: string): number {
    const until = this.#blockedUntil.get(client);
    if (until === undefined) return 0;
    const left = until - this.#now();
    if (left > 0) return left;
    this.#blockedUntil.delete(client);
    return 0;
  }

  /** Counts a wrong token of `client`; the wait it starts, or 0 while the budget lasts. */
  async wrong(client: string): Promise<number> {
    const now = this.#now();
    const taken = await this.#store.takeToken(`wrong-token:${client}`, {
      capacity: WRONG_TOKENS,
      refillPerMs: WRONG_TOKENS / WRONG_TOKEN_WINDOW_MS,
      now,
    });
    if (taken.allowed) return 0;
    this.#blockedUntil.set(client, now + taken.retryAfterMs);
    if (this.#blockedUntil.size > SWEEP_SIZE) {
      for (const [other, until] of this.#blockedUntil) {
        if (until <= now) this.#blockedUntil.delete(other);
      }
    }
    return taken.retryAfterMs;
  }
}

/** The 429 of a blocked client, audited as `rate.limited` (`reason: "wrong tokens"`). */
export function tooManyWrongTokens(c: Context, audit: AuditLog, waitMs: number): Response {
  audit.record("rate.limited", auditContext(c, { reason: "wrong tokens" }));
  setRetryAfter(c, waitMs);
  return c.json({
    error: `Too many wrong tokens from this address; retry in ${retryAfterSeconds(waitMs)} seconds`,
  }, 429);
}
