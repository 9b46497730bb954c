/**
 * The admin console's form posts: `application/x-www-form-urlencoded` bodies (what every
 * form of the console sends), read with the API's body deadline and size limit, and the
 * CSRF token each of them carries.
 *
 * A body the console's own forms never produce — another type, a field twice, a field the
 * route does not know holding a file — is refused whole rather than guessed at.
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { readBody } from "../../middleware/json_body.ts";
import { sha256 } from "../../crypto/sha256.ts";
import { timingSafeEqual } from "../../crypto/timing_safe_equal.ts";

/** The name of the hidden field holding the CSRF token in every form. */
export const CSRF_FIELD = "csrf";

/** A parsed form: each field once. */
export type FormFields = ReadonlyMap<string, string>;

/**
 * Reads the body as a URL-encoded form.
 *
 * @throws {HTTPException} 415 for another type, 400 for a field sent twice, 408 / 413 from
 *   the body deadline and limit
 */
export async function readForm(c: Context): Promise<FormFields> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new HTTPException(415, {
      message: "Forms are sent as application/x-www-form-urlencoded",
    });
  }
  const fields = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(await readBody(c))) {
    if (fields.has(name)) {
      throw new HTTPException(400, { message: `The form field "${name.slice(0, 32)}" came twice` });
    }
    fields.set(name, value);
  }
  return fields;
}

/** A field's value, trimmed; `""` when absent. */
export function field(form: FormFields, name: string): string {
  return (form.get(name) ?? "").trim();
}

/** Whether `given` is `expected`, compared in constant time (as digests: length too). */
export async function sameToken(given: string | undefined, expected: string): Promise<boolean> {
  if (given === undefined || given === "") return false;
  return timingSafeEqual(await sha256(given), await sha256(expected));
}
