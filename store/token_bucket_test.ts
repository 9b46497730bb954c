import assert from "node:assert/strict";
import { bucketFullAt, takeFromBucket } from "./token_bucket.ts";
import { KvStateStore } from "./kv_state_store.ts";

const options = { capacity: 3, refillPerMs: 1 / 1000 }; // 3 tokens, one a second

Deno.test("takeFromBucket() allows a burst of capacity, then one token per refill interval", () => {
  let bucket = null;
  const allowed: boolean[] = [];
  for (let i = 0; i < 4; i++) {
    const result = takeFromBucket(bucket, { ...options, now: 0 });
    bucket = result.bucket;
    allowed.push(result.allowed);
  }
  assert.deepEqual(allowed, [true, true, true, false]);
  assert.equal(takeFromBucket(bucket, { ...options, now: 0 }).retryAfterMs, 1000);
  assert.equal(takeFromBucket(bucket, { ...options, now: 400 }).retryAfterMs, 600);
  const later = takeFromBucket(bucket, { ...options, now: 1000 });
  assert.equal(later.allowed, true);
  assert.deepEqual(later.bucket, { tokens: 0, updatedAt: 1000 });
  assert.equal(bucketFullAt(later.bucket, options), 4000);
  // A long pause refills to capacity, never beyond.
  assert.deepEqual(takeFromBucket(later.bucket, { ...options, now: 100_000 }).bucket, {
    tokens: 2,
    updatedAt: 100_000,
  });
});

Deno.test("KvStateStore.takeToken() keeps one bucket per client", async () => {
  const store = await KvStateStore.open(":memory:");
  try {
    for (let i = 0; i < 3; i++) {
      assert.equal((await store.takeToken("a", { ...options, now: 0 })).allowed, true);
    }
    assert.deepEqual(await store.takeToken("a", { ...options, now: 0 }), {
      allowed: false,
      retryAfterMs: 1000,
    });
    assert.equal((await store.takeToken("b", { ...options, now: 0 })).allowed, true);
    assert.equal(await store.ping(), true);
  } finally {
    store.close();
  }
});
