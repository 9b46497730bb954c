import assert from "node:assert/strict";
import { counterToBytes, hotp, importHmacKey, truncate } from "./hotp.ts";
import { RFC4226_CODES, RFC4226_SECRET_HEX } from "../testing/rfc4226.ts";

const RFC4226_SECRET = Uint8Array.fromHex(RFC4226_SECRET_HEX);

Deno.test("hotp() matches RFC 4226 Appendix D for counters 0..9", async () => {
  const key = await importHmacKey(RFC4226_SECRET);
  for (const [counter, code] of RFC4226_CODES.entries()) {
    assert.equal(await hotp(key, counter), code, `counter ${counter}`);
  }
});

Deno.test("truncate() follows the worked example of RFC 4226 §5.4", () => {
  const mac = Uint8Array.fromHex("1f8698690e02ca16618550ef7f19da8e945b555a");
  assert.equal(truncate(mac, 6), "872921");
  assert.equal(truncate(mac, 10), "1357872921");
});

Deno.test("counterToBytes() encodes 8 bytes big-endian, beyond 2^32", () => {
  assert.deepEqual(counterToBytes(1), Uint8Array.fromHex("0000000000000001"));
  assert.deepEqual(counterToBytes(2 ** 32 + 5), Uint8Array.fromHex("0000000100000005"));
  assert.deepEqual(counterToBytes(2n ** 64n - 1n), Uint8Array.fromHex("ffffffffffffffff"));
  assert.throws(() => counterToBytes(-1), RangeError);
  assert.throws(() => counterToBytes(2n ** 64n), RangeError);
});

Deno.test("hotp() rejects bad digits and counters without computing", async () => {
  const key = await importHmacKey(RFC4226_SECRET);
  await assert.rejects(() => hotp(key, 0, { digits: 5 }), RangeError);
  await assert.rejects(() => hotp(key, 0, { digits: 11 }), RangeError);
  await assert.rejects(() => hotp(key, 0.5), RangeError);
  await assert.rejects(() => hotp(key, -1), RangeError);
  assert.throws(() => importHmacKey(new Uint8Array(0)), RangeError);
});
