/**
 * Log lines built without copying the caller's fields. `JSON.stringify({ time, level, msg,
 * ...fields })` first copies `fields` into a new object, and with objects of many shapes
 * (one per kind of log line) that copy takes V8's slow, megamorphic path: it was a third
 * of the cost of an access line (bench/README.md). Here the leading members are written
 * once and the fields are serialized as they are.
 *
 * @module
 */

/**
 * Closes the text of a JSON object with the members of `fields`: the same text as
 * `JSON.stringify({ ...leading, ...fields })`, as long as `fields` repeats none of the
 * leading names and has no integer keys (check with {@linkcode overridesAny} and take the
 * plain way when it says so).
 *
 * @param open a JSON object's text with at least one member and no closing brace
 * @example
 * ```ts
 * appendFields('{"msg":"hi"', { n: 1 }); // '{"msg":"hi","n":1}'
 * ```
 */
export function appendFields(open: string, fields: object): string {
  const rest = JSON.stringify(fields);
  return rest.length === 2 ? `${open}}` : `${open},${rest.slice(1)}`;
}

/**
 * Whether {@linkcode appendFields} would not match the spread object: `fields` has one of
 * `names` as its own key (the spread keeps that member in the leading place), or a key
 * that starts with a digit (an integer key, which objects order before every other).
 */
export function overridesAny(fields: object, names: readonly string[]): boolean {
  for (const name of names) if (Object.hasOwn(fields, name)) return true;
  // Integer keys come first in an object's key order, so the first key tells.
  for (const key in fields) {
    const first = key.charCodeAt(0);
    return first >= 48 && first <= 57;
  }
  return false;
}
