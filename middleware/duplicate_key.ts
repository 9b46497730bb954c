/**
 * Duplicate keys in a JSON document. `JSON.parse` keeps the last of two equal keys
 * silently, while other parsers (a proxy, a WAF, an audit tool) may keep the first: the
 * same body then means two things to two readers (CWE-436). RFC 8259 §4 leaves the
 * behaviour open, and I-JSON (RFC 7493 §2.3) says a receiver must refuse it; the service
 * refuses it.
 *
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * The first key that appears twice in one object of `text`, compared after unescaping
 * (`"a"` and `"\u0061"` are one key), or `null`.
 *
 * One pass without recursion, so a document nested 40,000 deep costs a flat array and
 * no stack. `text` must already have parsed as JSON: the scan relies on its structure.
 *
 * @example
 * ```ts
 * duplicateKey('{"code": "1", "code": "2"}'); // "code"
 * ```
 */
export function duplicateKey(text: string): string | null {
  // One entry per open container: the keys seen so far, `null` until the first key, and
  // `false` for an array.
  const open: (Set<string> | null | false)[] = [];
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const char = text.charCodeAt(i);
    if (char === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; text.charCodeAt(i) !== QUOTE; i++) {
        if (text.charCodeAt(i) === BACKSLASH) {
          escaped = true;
          i++;
        }
      }
      const top = open.length === 0 ? false : open[open.length - 1] as Set<string> | null | false;
      if (top === false || !followedByColon(text, i + 1)) continue;
      const key = escaped
        ? JSON.parse(text.slice(start, i + 1)) as string
        : text.slice(start + 1, i);
      if (top === null) {
        open[open.length - 1] = new Set([key]);
      } else if (top.has(key)) {
        return key;
      } else {
        top.add(key);
      }
    } else if (char === OPEN_OBJECT) {
      open.push(null);
    } else if (char === OPEN_ARRAY) {
      open.push(false);
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      open.pop();
    }
  }
  return null;
}

/** Whether the next character after whitespace is `:`, which makes a string a key. */
function followedByColon(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === COLON) return true;
    // JSON whitespace: space, tab, line feed, carriage return.
    if (char !== 0x20 && char !== 0x09 && char !== 0x0a && char !== 0x0d) return false;
  }
  return false;
}
