/**
 * Request bodies: JSON checked by a zod schema, with one clear error message per route
 * instead of zod's raw output. The body is parsed whatever its `Content-Type`, so
 * `curl -d '{...}'` (which sends a form type) works as users expect.
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { z } from "zod";

/**
 * Parses the body as JSON and validates it.
 *
 * @throws {HTTPException} 400 with `message` when the body is not JSON or fails `schema`
 */
export async function parseJsonBody<T extends z.ZodType>(
  c: Context,
  schema: T,
  message: string,
): Promise<z.infer<T>> {
  let value: unknown;
  try {
    value = JSON.parse(await c.req.text());
  } catch (cause) {
    // A body over the size limit must keep its 413, not turn into a 400.
    if (cause instanceof HTTPException) throw cause;
    throw new HTTPException(400, { message });
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new HTTPException(400, { message });
  return result.data;
}
