import assert from "node:assert/strict";
import {
  CROCKFORD_ALPHABET,
  formatRecoveryCode,
  generateRecoveryCode,
  importRecoveryKey,
  normalizeRecoveryCode,
  recoveryCodeDigest,
} from "./recovery_code.ts";

Deno.test("generateRecoveryCode() gives 12 Crockford symbols, 60 bits, spread evenly over the alphabet", () => {
  const counts = new Map<string, number>();
  const codes = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const code = generateRecoveryCode();
    assert.match(code, /^[0-9A-HJKMNP-TV-Z]{12}$/);
    codes.add(code);
    for (const symbol of code) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  }
  assert.equal(codes.size, 2000, "no repeats among 2000 codes of 60 bits");
  assert.equal(CROCKFORD_ALPHABET.length, 32);
  assert.equal(counts.size, 32, "every symbol occurs");
  // 24000 symbols: 750 expected each; a uniform source stays well within ±25 %.
  for (const [symbol, count] of counts) {
    assert.ok(count > 560 && count < 940, `${symbol}: ${count}`);
  }
});

Deno.test("formatRecoveryCode() shows XXXX-XXXX-XXXX", () => {
  assert.equal(formatRecoveryCode("0123456789AB"), "0123-4567-89AB");
});

Deno.test("normalizeRecoveryCode() ignores case, hyphens and spaces and maps Crockford's look-alikes", () => {
  const cases: [string, string | null][] = [
    ["0123-4567-89AB", "0123456789AB"],
    ["0123 4567 89ab", "0123456789AB"],
    [" o123-4567-89ab\t", "0123456789AB"],
    ["OIL2-3456-789A", "011234567 89A".replaceAll(" ", "")],
    ["oil2 3456 789a", "011234567 89A".replaceAll(" ", "")],
    ["--0123--4567--89AB--", "0123456789AB"],
    ["0123-4567-89A", null],
    ["0123-4567-89ABC", null],
    ["0123-4567-89AU", null],
    ["0123-4567-89A!", null],
    ["", null],
    ["0".repeat(65), null],
  ];
  for (const [input, expected] of cases) {
    assert.equal(normalizeRecoveryCode(input), expected, JSON.stringify(input));
  }
});

Deno.test("recoveryCodeDigest() is HMAC-SHA-256 over a tagged message, bound to the subject", async () => {
  const raw = Uint8Array.from({ length: 32 }, (_, i) => i);
  const key = await importRecoveryKey(raw.slice());
  const digest = await recoveryCodeDigest(key, "alice", "0123456789AB");
  const reference = await crypto.subtle.importKey(
    "raw",
    raw,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const expected = new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      reference,
      new TextEncoder().encode("pki-2fa recovery code\u0000alice\u00000123456789AB"),
    ),
  ).toHex();
  assert.equal(digest, expected);
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.notEqual(await recoveryCodeDigest(key, "bob", "0123456789AB"), digest);
});
