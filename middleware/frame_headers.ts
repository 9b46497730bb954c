/**
 * The headers every response of the service carries (the request id, the API security
 * headers, `Cache-Control: no-store`), put on each response in the cheapest way Deno's
 * server has.
 *
 * Set with `c.header()` before the handler runs, they went into a `Headers` object that
 * `c.json()` then handed to `new Response()`, which validates and copies every header again;
 * that was about a fifth of the CPU of `GET /health` (bench/README.md). Here, as long as the
 * handler sets no header of its own, `c.json()` builds the response in one step from a
 * plain list of pairs. Once a handler calls `c.header()`, or answers another way, the
 * headers go the usual way instead, so every response still carries them, and a handler
 * can still override one (the docs page sets its own `Content-Security-Policy`).
 *
 * @module
 */
import type { Context } from "hono";

/** A header as a `[name, value]` pair. */
export type HeaderPair = readonly [string, string];

const JSON_TYPE: HeaderPair = ["Content-Type", "application/json"];

/**
 * Puts `headers` on the response of the request of `c`.
 *
 * @returns `finish(response)`, to call with the response once the handler has answered:
 *   it adds the headers (those the response does not set itself) when the response was
 *   built some other way than `c.json()` or after `c.header()`
 */
export function frameHeaders(
  c: Context,
  headers: readonly HeaderPair[],
): (response: Response) => void {
  const { header, json } = c;
  // The headers are among Hono's prepared headers, which every c.* answer includes.
  let prepared = false;
  let built: Response | undefined;
  function prepare(): void {
    prepared = true;
    for (const [name, value] of headers) header(name, value);
  }
  c.header = ((name, value, options) => {
    if (!prepared) prepare();
    header(name, value, options);
  }) as Context["header"];
  c.json = ((object, arg, extra) => {
    if (prepared || extra !== undefined || (arg !== undefined && typeof arg !== "number")) {
      if (!prepared) prepare();
      return json(object, arg, extra);
    }
    built = new Response(JSON.stringify(object), {
      status: arg ?? 200,
      headers: [...headers, JSON_TYPE] as [string, string][],
    });
    return built;
  }) as Context["json"];
  return function finish(response) {
    if (prepared || response === built) return;
    // Answered with c.body(), c.text() or the like, and no header of its own.
    try {
      for (const [name, value] of headers) {
        if (!response.headers.has(name)) response.headers.set(name, value);
      }
    } catch {
      // Immutable headers: Hono's c.header() copies the response first.
      for (const [name, value] of headers) if (!c.res.headers.has(name)) header(name, value);
    }
  };
}
