import assert from "node:assert/strict";
import { stringifyExact } from "./exact_json.ts";

Deno.test("stringifyExact() writes bigints as exact JSON integers, up to 2^64 - 1", () => {
  assert.equal(
    stringifyExact({ counter: 2n ** 64n - 1n, n: null, small: 7n }),
    '{"counter":18446744073709551615,"n":null,"small":7}',
  );
});
