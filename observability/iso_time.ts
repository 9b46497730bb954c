/**
 * The `time` of a log or audit line. `new Date(ms).toISOString()` costs more than building
 * the rest of the line (bench/README.md), and a busy service writes dozens of lines within
 * one millisecond, so the last text is kept and reused while the millisecond is the same.
 *
 * @module
 */

let lastMs = Number.NaN;
let lastText = "";

/**
 * `new Date(ms).toISOString()`, from a one-entry cache.
 *
 * @example
 * ```ts
 * isoTime(0); // "1970-01-01T00:00:00.000Z"
 * ```
 */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastText = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastText;
}
