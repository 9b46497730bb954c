/**
 * Request bodies: JSON checked by a zod schema, with a message that says what is wrong
 * instead of zod's raw output. The body is parsed whatever its `Content-Type`, so
 * `curl -d '{...}'` (which sends a form type) works as users expect; browsers' cross-site
 * posts are refused before this runs (middleware/cross_site.ts).
 *
 * Messages, in the order they are checked (all 400 unless said otherwise):
 * - the body has not arrived within {@linkcode BODY_TIMEOUT_MS}: 408, and the connection
 *   is marked to close;
 * - not JSON: "Request body is not valid JSON";
 * - a key twice in one object: `Duplicate key "code" in the JSON body`;
 * - not an object: "Request body must be a JSON object";
 * - a field missing, `null` or an empty string: `Missing <field>` (the assignment's
 *   "Missing encrypted_seed" and "Missing code"; an empty body counts as `{}`);
 * - a field of the wrong type or value: `<field> must be ...`, from the schema's own
 *   message when it has one (`code must be a string of digits`).
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { z } from "zod";
import { BodyTooLargeError } from "./body_guard.ts";
import { duplicateKey } from "./duplicate_key.ts";
import { watchDeadline } from "./deadline_watch.ts";

/**
 * How long a client may take to send its body once its headers arrived. An encrypted
 * seed is under 1 KiB: a body still missing after 10 s is a slow-client attack or a
 * broken client, and each one holds a connection and a file descriptor.
 */
export const BODY_TIMEOUT_MS = 10_000;

/** Options for {@linkcode parseJsonBody}. */
export interface ParseJsonBodyOptions {
  /**
   * Keys whose numbers are read exactly, as `bigint` (an HOTP counter up to 2^64 - 1 sent
   * as a JSON number would otherwise be rounded to a double before any check). @default {[]}
   */
  exactIntegers?: readonly string[];
}

/**
 * Parses the body as JSON and validates it.
 *
 * @param message one answer for every bad body but a duplicate key, for a route with a
 *   single field whose own message says it all; without it each problem is named
 * @throws {HTTPException} 400 with a message naming what is wrong; 408 when the body does
 *   not arrive in time; 413 (from the body limit) when it is too large
 */
export async function parseJsonBody<T extends z.ZodType>(
  c: Context,
  schema: T,
  message?: string,
  options: ParseJsonBodyOptions = {},
): Promise<z.infer<T>> {
  const exact = options.exactIntegers ?? [];
  const text = await readBody(c);
  let value: unknown;
  try {
    // A reviver makes JSON.parse several times slower, so only the routes that need exact
    // integers pay for one.
    value = text.trim() === "" ? {} : exact.length === 0 ? JSON.parse(text) : JSON.parse(
      text,
      // The third argument (the number's source text) is in V8 since 11.4; TS's lib lacks it.
      (key, v, context?: { source?: string }) =>
        typeof v === "number" && exact.includes(key) && context?.source !== undefined &&
          /^\d+$/.test(context.source)
          ? BigInt(context.source)
          : v,
    );
  } catch {
    throw badRequest(message ?? "Request body is not valid JSON");
  }
  const duplicate = duplicateKey(text);
  if (duplicate !== null) {
    throw badRequest(`Duplicate key ${JSON.stringify(duplicate.slice(0, 64))} in the JSON body`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest(message ?? "Request body must be a JSON object");
  }
  const result = schema.safeParse(value, { error: describeIssue });
  if (!result.success) {
    throw badRequest(message ?? result.error.issues[0]?.message ?? "Invalid request body");
  }
  return result.data;
}

function badRequest(message: string): HTTPException {
  return new HTTPException(400, { message });
}

/**
 * The body as text, or 408 once {@linkcode BODY_TIMEOUT_MS} have passed without it. Every
 * route that reads a body reads it through this, JSON or not (the PSKC import
 * reads XML, the admin console reads forms). The deadline is an entry in a shared sweep,
 * not a timer per request (deadline_watch.ts).
 *
 * @throws {HTTPException} 408, or 413 ({@linkcode BodyTooLargeError}) for a chunked body
 *   over the limit, both with `Connection: close` set on the answer
 */
export function readBody(c: Context): Promise<string> {
  const reading = c.req.text();
  return new Promise((resolve, reject) => {
    const watch = watchDeadline(BODY_TIMEOUT_MS, () => {
      // The read goes on in the background and fails when the connection closes.
      reading.catch(() => {});
      c.header("Connection", "close");
      reject(
        new HTTPException(408, {
          message: `Request body not received within ${BODY_TIMEOUT_MS / 1000} seconds`,
        }),
      );
    });
    reading.then((text) => {
      watch.cancel();
      resolve(text);
    }, (error) => {
      watch.cancel();
      // The rest of a body cut off at its limit is still on the wire: do not read it.
      if (error instanceof BodyTooLargeError) c.header("Connection", "close");
      if (isConnectionError(error)) {
        // The connection went, or the server is stopping (Deno fails body reads once a
        // shutdown begins): nothing was done, and a retry elsewhere or later will do.
        c.header("Connection", "close");
        c.header("Retry-After", "1");
        return reject(new HTTPException(503, { message: BODY_UNREADABLE }));
      }
      reject(error);
    });
  });
}

/** The answer when the body could not be read because of the connection or a stop. */
export const BODY_UNREADABLE =
  "Request body could not be read (the connection failed or the service is stopping); " +
  "nothing was done, retry";

/** Errors of the connection, not of the request. */
function isConnectionError(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.UnexpectedEof || error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.Http;
}

type Issue = Parameters<z.core.$ZodErrorMap>[0];

const ARTICLE: Record<string, string> = {
  int: "a whole number",
  array: "an array",
  object: "an object",
};

/**
 * A message for a zod issue that names the field and what it must be. Used where the
 * schema gives none of its own (zod asks the schema first).
 */
function describeIssue(issue: Issue): string {
  const field = issue.path?.join(".") || "the body";
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined || issue.input === null) return `Missing ${field}`;
      return `${field} must be ${
        (Object.hasOwn(ARTICLE, issue.expected) ? ARTICLE[issue.expected] : undefined) ??
          `a ${issue.expected}`
      }`;
    case "too_small":
      if (issue.origin === "string") {
        return issue.minimum === 1
          ? `Missing ${field}`
          : `${field} must be at least ${issue.minimum} characters`;
      }
      return `${field} must be at least ${issue.minimum}`;
    case "too_big":
      return issue.origin === "string"
        ? `${field} must be at most ${issue.maximum} characters`
        : `${field} must be at most ${issue.maximum}`;
    case "invalid_value":
      return `${field} must be ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
    case "invalid_union": {
      // A union of literals (digits: 6 or 8) reports each branch's one allowed value.
      const values = issue.errors.flat().flatMap((e) => e.code === "invalid_value" ? e.values : []);
      if (values.length > 0) {
        return `${field} must be ${values.map((v) => JSON.stringify(v)).join(" or ")}`;
      }
      return `${field} is not valid`;
    }
    default:
      return `${field} is not valid`;
  }
}
