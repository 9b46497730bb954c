/**
 * The request body's size limit, without reading the body ahead of the route.
 *
 * Hono's `bodyLimit` reads a body sent without `Content-Length` (chunked) to its end before
 * the route runs, with no deadline: a client that sends one chunk and then nothing held a
 * connection open for as long as it liked on every route, `/verify-2fa` included, and the
 * route's own 10 s deadline (middleware/json_body.ts `readBody`) never started. Here:
 *
 * - a `Content-Length` over the limit is refused with 413 before a byte is read (Deno's
 *   server reads exactly that many bytes, so nothing more can come);
 * - a chunked body is passed on as a stream that fails with {@linkcode BodyTooLargeError}
 *   once it goes over the limit, so whoever reads it (within `readBody`'s deadline) gets
 *   the 413, and a body nobody reads is never read at all. The error is an
 *   `HTTPException`, so every place that maps errors (app.ts for the API, the admin
 *   console's own error pages) answers 413 without knowing about it.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";

/** Options for {@linkcode bodyGuard}. */
export interface BodyGuardOptions {
  /** Largest body, in bytes. */
  maxBytes: number;
  /** The 413's `error` message. */
  message: string;
}

/** A body went over its limit while it was read: a 413 whose `message` is the answer. */
export class BodyTooLargeError extends HTTPException {
  override name = "BodyTooLargeError";

  constructor(message: string) {
    super(413, { message });
  }
}

/** Refuses bodies over `maxBytes`: at once when declared, while read when chunked. */
export function bodyGuard(options: BodyGuardOptions): MiddlewareHandler {
  const { maxBytes, message } = options;
  return async function bodyGuard(c, next) {
    const raw = c.req.raw;
    if (raw.body === null) return await next();
    const declared = raw.headers.get("content-length");
    if (declared !== null && !raw.headers.has("transfer-encoding")) {
      if (Number(declared) > maxBytes) return c.json({ error: message }, 413);
      return await next();
    }
    c.req.raw = new Request(raw, {
      body: raw.body.pipeThrough(countingStream(maxBytes, message)),
      duplex: "half",
    } as RequestInit);
    await next();
  };
}

/** Passes bytes through until more than `maxBytes` went by, then fails the stream. */
function countingStream(maxBytes: number, message: string): TransformStream<Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) controller.error(new BodyTooLargeError(message));
      else controller.enqueue(chunk);
    },
  });
}
