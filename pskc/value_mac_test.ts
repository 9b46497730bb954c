import assert from "node:assert/strict";
import { checkValueMac, computeValueMac } from "./value_mac.ts";
import { opensslHmac, XMLDSIG, XMLDSIG_MORE } from "../testing/pskc_files.ts";

const ALGORITHMS = [
  [`${XMLDSIG}hmac-sha1`, "sha1"],
  [`${XMLDSIG_MORE}hmac-sha224`, "sha224"],
  [`${XMLDSIG_MORE}hmac-sha256`, "sha256"],
  [`${XMLDSIG_MORE}hmac-sha384`, "sha384"],
  [`${XMLDSIG_MORE}hmac-sha512`, "sha512"],
] as const;

for (const [uri, digest] of ALGORITHMS) {
  Deno.test(`checkValueMac() ${digest}: openssl's HMAC passes, one flipped bit fails`, async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const data = crypto.getRandomValues(new Uint8Array(48));
    const mac = await opensslHmac(digest, key.toHex(), data);
    assert.equal(computeValueMac(uri, key, data).toHex(), mac.toHex());
    assert.equal(checkValueMac(uri, key, data, mac), true);
    const flipped = mac.slice();
    flipped[flipped.length - 1]! ^= 1;
    assert.equal(checkValueMac(uri, key, data, flipped), false);
    assert.equal(checkValueMac(uri, key, data, mac.subarray(0, 10)), false);
  });
}

Deno.test("computeValueMac() names an unknown MAC algorithm", () => {
  assert.throws(
    () => computeValueMac(`${XMLDSIG_MORE}hmac-md5`, new Uint8Array(16), new Uint8Array(1)),
    new RangeError('The MAC algorithm "hmac-md5" is not supported'),
  );
});
