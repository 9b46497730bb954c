import assert from "node:assert/strict";
import { sha256 } from "./sha256.ts";

Deno.test("sha256() matches the FIPS 180-2 test vectors for bytes and text", async () => {
  assert.equal(
    (await sha256("abc")).toHex(),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    (await sha256(new Uint8Array(0))).toHex(),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal((await sha256("é")).toHex(), (await sha256(Uint8Array.of(0xc3, 0xa9))).toHex());
});
