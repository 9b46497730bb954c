/**
 * JSON answers whose integers may exceed 2^53: an HOTP counter goes up to 2^64 - 1, which
 * `JSON.stringify` cannot write (a `bigint` throws, a `number` is rounded). `bigint` values
 * are written as exact JSON integers with `JSON.rawJSON`, so a client that parses
 * integers exactly (Python, Go's `json.Number`, `JSON.parse` with the source-text reviver)
 * reads the stored value digit for digit.
 *
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** `value` as JSON text, every `bigint` an exact integer. */
export function stringifyExact(value: unknown): string {
  return JSON.stringify(value, (_key, v) => typeof v === "bigint" ? rawJson(v.toString()) : v);
}

/** Answers `value` as JSON with {@linkcode stringifyExact}. */
export function exactJson(c: Context, value: unknown, status: ContentfulStatusCode): Response {
  return c.body(stringifyExact(value), status, { "Content-Type": "application/json" });
}
