import assert from "node:assert/strict";
import { SeedMarks } from "./seed_marks.ts";
import { KvStateStore } from "./kv_state_store.ts";

Deno.test("SeedMarks.advance() moves only forwards, per subject, and once for racing equal marks", async () => {
  const state = await KvStateStore.open(":memory:");
  try {
    const marks = new SeedMarks(state);
    assert.equal(await marks.advance("a", 1000), true);
    assert.equal(await marks.advance("a", 1000), false);
    assert.equal(await marks.advance("a", 999), false);
    assert.equal(await marks.advance("b", 5), true);
    assert.equal(await marks.advance("a", 1001), true);
    const raced = await Promise.all(Array.from({ length: 10 }, () => marks.advance("c", 7)));
    assert.equal(raced.filter((r) => r).length, 1);
  } finally {
    state.close();
  }
});
