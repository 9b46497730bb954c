import assert from "node:assert/strict";
import { type HashAlgorithm, hotp, importHmacKey } from "./hotp.ts";
import { type CodeAt, generateTotp, isDigits, timeStep, verifyTotp } from "./totp.ts";

const encoder = new TextEncoder();
const SERVICE_SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

async function codeSource(secret: Uint8Array<ArrayBuffer>, algorithm: HashAlgorithm, digits = 6) {
  const key = await importHmacKey(secret, { algorithm });
  const codeAt: CodeAt = (counter) => hotp(key, counter, { digits });
  return codeAt;
}

// RFC 6238 Appendix B (the seeds and times of its test vectors).
const RFC6238: [number, string, string, string, string][] = [
  [59, "0000000000000001", "94287082", "46119246", "90693936"],
  [1111111109, "00000000023523EC", "07081804", "68084774", "25091201"],
  [1111111111, "00000000023523ED", "14050471", "67062674", "99943326"],
  [1234567890, "000000000273EF07", "89005924", "91819424", "93441116"],
  [2000000000, "0000000003F940AA", "69279037", "90698825", "38618901"],
  [20000000000, "0000000027BC86AA", "65353130", "77737706", "47863826"],
];

Deno.test("generateTotp() matches every row of RFC 6238 Appendix B", async () => {
  const sources = {
    sha1: await codeSource(encoder.encode("12345678901234567890"), "SHA-1", 8),
    sha256: await codeSource(encoder.encode("12345678901234567890123456789012"), "SHA-256", 8),
    sha512: await codeSource(
      encoder.encode("1234567890123456789012345678901234567890123456789012345678901234"),
      "SHA-512",
      8,
    ),
  };
  for (const [seconds, counterHex, sha1, sha256, sha512] of RFC6238) {
    const now = seconds * 1000;
    assert.equal(timeStep({ now }), parseInt(counterHex, 16), `T at ${seconds}`);
    assert.equal((await generateTotp(sources.sha1, { now })).code, sha1, `SHA-1 at ${seconds}`);
    assert.equal((await generateTotp(sources.sha256, { now })).code, sha256, `SHA-256 ${seconds}`);
    assert.equal((await generateTotp(sources.sha512, { now })).code, sha512, `SHA-512 ${seconds}`);
  }
});

Deno.test("generateTotp() matches the service's own vectors with valid_for", async () => {
  const codeAt = await codeSource(Uint8Array.fromHex(SERVICE_SEED), "SHA-1");
  const table: [number, string, number][] = [
    [0, "414783", 30],
    [59, "555770", 1],
    [1111111109, "678295", 1],
    [1234567890, "232605", 30],
    [1764000000, "557321", 30],
    [2000000000, "440276", 10],
  ];
  for (const [seconds, code, validFor] of table) {
    assert.deepEqual(await generateTotp(codeAt, { now: seconds * 1000 + 999 }), { code, validFor });
  }
});

Deno.test("verifyTotp() accepts the current, previous and next step, nearest first", async () => {
  const codeAt = await codeSource(Uint8Array.fromHex(SERVICE_SEED), "SHA-1");
  const now = 1_764_000_015_000; // the middle of step 58800000
  const step = 58_800_000;
  assert.equal(timeStep({ now }), step);
  for (const delta of [-1, 0, 1]) {
    const code = await codeAt(step + delta);
    assert.deepEqual(await verifyTotp(codeAt, code, { now }), { counter: step + delta, delta });
  }
  for (const delta of [-3, -2, 2, 3]) {
    const code = await codeAt(step + delta);
    assert.equal(await verifyTotp(codeAt, code, { now }), null, `delta ${delta}`);
  }
  assert.deepEqual(await verifyTotp(codeAt, await codeAt(step + 2), { now, window: 2 }), {
    counter: step + 2,
    delta: 2,
  });
});

Deno.test("verifyTotp() rejects anything but exactly six ASCII digits before any HMAC", async () => {
  let calls = 0;
  const codeAt: CodeAt = (counter) => {
    calls++;
    return Promise.resolve(String(Number(counter) % 1_000_000).padStart(6, "0"));
  };
  const now = 1_000_000 * 30_000; // step 1000000 -> code "000000"
  assert.deepEqual(await verifyTotp(codeAt, "000000", { now }), { counter: 1_000_000, delta: 0 });
  calls = 0;
  for (const bad of [" 000000", "000000\n", "０００００００", "00000", "0000000", "00000a", ""]) {
    assert.equal(await verifyTotp(codeAt, bad, { now }), null, JSON.stringify(bad));
  }
  assert.equal(calls, 0);
});

Deno.test("timeStep() and generateTotp() honour period and T0", async () => {
  assert.equal(timeStep({ now: 89_999, period: 30 }), 2);
  assert.equal(timeStep({ now: 90_000, period: 60, t0: 30 }), 1);
  assert.throws(() => timeStep({ now: 0, period: 0 }), RangeError);
  assert.throws(() => timeStep({ now: 0, t0: 10 }), RangeError);
  const codeAt: CodeAt = (counter) => Promise.resolve(String(counter));
  assert.deepEqual(await generateTotp(codeAt, { now: 61_000, period: 60 }), {
    code: "1",
    validFor: 59,
  });
});

Deno.test("isDigits() checks length and ASCII digits only", () => {
  assert.equal(isDigits("123456", 6), true);
  assert.equal(isDigits("12345678", 8), true);
  assert.equal(isDigits("12345678", 6), false);
  assert.equal(isDigits("12 456", 6), false);
  assert.equal(isDigits("١٢٣٤٥٦", 6), false);
});
