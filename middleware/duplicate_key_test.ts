import assert from "node:assert/strict";
import { duplicateKey } from "./duplicate_key.ts";

Deno.test("duplicateKey() finds a key given twice in one object, after unescaping", () => {
  const cases: [string, string | null][] = [
    ['{"code": "1"}', null],
    ['{"code": "1", "code": "2"}', "code"],
    ['{"code":"1","code":"1"}', "code"],
    ['{"a": 1, "\\u0061": 2}', "a"],
    ['{"a\\"b": 1, "a\\u0022b": 2}', 'a"b'],
    ['{"a": {"b": 1}, "b": 2}', null],
    ['{"a": {"b": 1, "b": 2}}', "b"],
    ['[{"a": 1}, {"a": 2}]', null],
    ['[{"a": 1, "a": 2}]', "a"],
    ['{"a": "a", "b": "a"}', null],
    ['{"a": ["a", "a"]}', null],
    ['{"a": "x:y", "b": ":", "c": "\\\\"}', null],
    ['{"a": "\\\\", "a" : 2}', "a"],
    ['{ "a" \n : 1 ,\t"a"\r\n:2}', "a"],
    ['{"a": {}, "b": [], "a": null}', "a"],
    ['"a"', null],
    ["[]", null],
    ["42", null],
  ];
  for (const [text, expected] of cases) {
    JSON.parse(text); // every case is valid JSON
    assert.equal(duplicateKey(text), expected, text);
  }
});

Deno.test("duplicateKey() handles 40,000 levels of nesting without a stack overflow", () => {
  const deep = '{"a":'.repeat(40_000) + "1" + "}".repeat(40_000);
  assert.equal(duplicateKey(deep), null);
  const arrays = "[".repeat(40_000) + '{"k":1,"k":2}' + "]".repeat(40_000);
  assert.equal(duplicateKey(arrays), "k");
});
