import assert from "node:assert/strict";
import { createCodeCache } from "./code_cache.ts";
import { hotp, importHmacKey } from "./hotp.ts";

Deno.test("createCodeCache() returns the HOTP codes and computes each counter once", async () => {
  const key = await importHmacKey(new TextEncoder().encode("12345678901234567890"));
  let signs = 0;
  const sign = crypto.subtle.sign.bind(crypto.subtle);
  const original = crypto.subtle.sign;
  crypto.subtle.sign = (...args: Parameters<typeof sign>) => {
    signs++;
    return sign(...args);
  };
  try {
    const codeAt = createCodeCache(key, { capacity: 2 });
    const first = await Promise.all([codeAt(1), codeAt(1), codeAt(1)]);
    assert.deepEqual(first, ["287082", "287082", "287082"]);
    assert.equal(signs, 1);
    assert.equal(await codeAt(2), "359152");
    assert.equal(await codeAt(1), "287082");
    assert.equal(signs, 2);
    assert.equal(await codeAt(3), "969429"); // evicts counter 1
    assert.equal(await codeAt(1), "287082");
    assert.equal(signs, 4);
  } finally {
    crypto.subtle.sign = original;
  }
  assert.equal(await hotp(key, 1), "287082");
});

Deno.test("createCodeCache() passes digits through", async () => {
  const key = await importHmacKey(new TextEncoder().encode("12345678901234567890"));
  assert.equal(await createCodeCache(key, { digits: 8 })(1), "94287082");
});
