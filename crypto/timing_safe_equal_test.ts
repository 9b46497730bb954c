import assert from "node:assert/strict";
import { timingSafeEqual, timingSafeEqualText } from "./timing_safe_equal.ts";

Deno.test("timingSafeEqual() compares bytes exactly", () => {
  const cases: [number[], number[], boolean][] = [
    [[], [], true],
    [[1, 2, 3], [1, 2, 3], true],
    [[1, 2, 3], [1, 2, 4], false],
    [[0, 2, 3], [1, 2, 3], false],
    [[1, 2, 3], [1, 2], false],
    [[255], [127], false],
  ];
  for (const [a, b, expected] of cases) {
    assert.equal(timingSafeEqual(new Uint8Array(a), new Uint8Array(b)), expected, `${a} vs ${b}`);
  }
});

Deno.test("timingSafeEqualText() compares UTF-8 text", () => {
  assert.equal(timingSafeEqualText("123456", "123456"), true);
  assert.equal(timingSafeEqualText("123456", "123457"), false);
  assert.equal(timingSafeEqualText("123456", "１２３４５６"), false);
  assert.equal(timingSafeEqualText("", ""), true);
});
