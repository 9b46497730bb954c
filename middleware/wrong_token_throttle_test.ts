import assert from "node:assert/strict";
import { KvStateStore } from "../store/kv_state_store.ts";
import { WRONG_TOKEN_WINDOW_MS, WRONG_TOKENS, WrongTokenThrottle } from "./wrong_token_throttle.ts";

Deno.test("WrongTokenThrottle: ten wrong tokens free, the eleventh blocks for 90 s, per client", async () => {
  const store = await KvStateStore.open(":memory:");
  try {
    const clock = { now: 1_764_000_000_000 };
    const throttle = new WrongTokenThrottle({ store, now: () => clock.now });
    const step = WRONG_TOKEN_WINDOW_MS / WRONG_TOKENS;
    for (let i = 0; i < WRONG_TOKENS; i++) {
      assert.equal(await throttle.wrong("a"), 0, `wrong ${i}`);
      assert.equal(throttle.waitMs("a"), 0);
    }
    assert.equal(await throttle.wrong("a"), step);
    assert.equal(throttle.waitMs("a"), step);
    assert.equal(throttle.waitMs("b"), 0, "another client");
    clock.now += step - 1;
    assert.equal(throttle.waitMs("a"), 1);
    clock.now += 1;
    assert.equal(throttle.waitMs("a"), 0);
    assert.equal(await throttle.wrong("a"), 0, "one back after 90 s");
    assert.equal(await throttle.wrong("a"), step);
  } finally {
    store.close();
  }
});
