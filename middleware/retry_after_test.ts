import assert from "node:assert/strict";
import { retryAfterSeconds } from "./retry_after.ts";

Deno.test("retryAfterSeconds() rounds up to whole seconds and is at least 1", () => {
  assert.deepEqual(
    [0, 1, 999, 1000, 1001, 29_999, 30_000].map(retryAfterSeconds),
    [1, 1, 1, 1, 2, 30, 30],
  );
});
