/**
 * One request from an import tool, with a time limit, waiting out the service's rate
 * limit. The service allows 120 requests a minute per client by default and an import
 * sends one or two per account, so a 429 is waited out as its `Retry-After` says (up to
 * {@linkcode MAX_WAIT_MS}) and the request sent again, at most
 * {@linkcode MAX_RATE_LIMITED} times in a row.
 *
 * @module
 */
import type { CliIo } from "./cli.ts";

/** What an import tool needs from the outside world, replaceable in tests. */
export interface SendDeps {
  fetch: typeof fetch;
  /** Waits, when the service's rate limit says so. */
  sleep: (ms: number) => Promise<void>;
}

/** The real network and clock. */
export const REAL_SEND_DEPS: SendDeps = {
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Each request's time limit. */
export const TIMEOUT_MS = 15_000;
/** 429s in a row after which the answer is returned as it is. */
export const MAX_RATE_LIMITED = 5;
/** The longest wait a Retry-After may impose before the tool gives up instead. */
export const MAX_WAIT_MS = 120_000;

/** Sends `init` to `url`; a 429 with a `Retry-After` is waited out and sent again. */
export async function sendPolitely(
  deps: SendDeps,
  io: CliIo,
  url: string,
  init: RequestInit,
): Promise<Response> {
  for (let attempt = 1;; attempt++) {
    const response = await deps.fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    const waitMs = Number(response.headers.get("retry-after")) * 1000;
    if (
      response.status !== 429 || attempt >= MAX_RATE_LIMITED || !(waitMs > 0) ||
      waitMs > MAX_WAIT_MS
    ) {
      return response;
    }
    await response.body?.cancel();
    io.err(`Rate limited by the service; waiting ${waitMs / 1000} s`);
    await deps.sleep(waitMs);
  }
}
