import assert from "node:assert/strict";
import { derivePbkdf2Key } from "./pbkdf2.ts";
import { runOk } from "../testing/command.ts";

Deno.test("derivePbkdf2Key() gives RFC 6030 Figure 7's key from qwerty", () => {
  const key = derivePbkdf2Key("qwerty", {
    salt: Uint8Array.fromBase64("Ej7/PEpyEpw="),
    iterations: 1000,
    keyLength: 16,
  });
  assert.equal(key.toHex(), "651e63cd57008476af1ff6422cd02e41");
});

Deno.test("derivePbkdf2Key() with HMAC-SHA256 agrees with openssl kdf", async () => {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const expected = await runOk("openssl", [
    "kdf",
    "-keylen",
    "32",
    "-kdfopt",
    "digest:SHA256",
    "-kdfopt",
    "pass:correct horse",
    "-kdfopt",
    `hexsalt:${salt.toHex()}`,
    "-kdfopt",
    "iter:2000",
    "PBKDF2",
  ]);
  const key = derivePbkdf2Key("correct horse", {
    salt,
    iterations: 2000,
    keyLength: 32,
    prf: "SHA-256",
  });
  assert.equal(key.toHex(), expected.trim().replaceAll(":", "").toLowerCase());
});

Deno.test("derivePbkdf2Key() refuses absurd iteration counts and key lengths", () => {
  const salt = new Uint8Array(8);
  assert.throws(
    () => derivePbkdf2Key("p", { salt, iterations: 10_000_001, keyLength: 16 }),
    new RangeError("The PBKDF2 iteration count is above 10000000"),
  );
  assert.throws(
    () => derivePbkdf2Key("p", { salt, iterations: 0, keyLength: 16 }),
    new RangeError("The PBKDF2 iteration count must be a positive integer"),
  );
  assert.throws(
    () => derivePbkdf2Key("p", { salt, iterations: 1, keyLength: 20 }),
    new RangeError("The PBKDF2 key length must be 16, 24 or 32 bytes"),
  );
});
