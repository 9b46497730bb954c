import assert from "node:assert/strict";
import { labelProblem } from "./otp_labels.ts";

Deno.test("labelProblem() refuses ':' and control characters, and takes any other text", () => {
  const cases: [string, string | null][] = [
    ["Acme & Co", null],
    ["alice@example.com", null],
    ["€".repeat(200), null],
    [
      "Ac:me & Co",
      'issuer must not contain ":" (the Key Uri Format separates issuer and account name with it)',
    ],
    ["tab\there", "issuer must not contain control characters"],
    ["nl\n", "issuer must not contain control characters"],
    ["c1\u0085", "issuer must not contain control characters"],
    ["Bank\u202egnp.exe", "issuer must not contain bidirectional formatting characters"],
    ["\u2066Bank\u2069", "issuer must not contain bidirectional formatting characters"],
    ["mark\u200f", "issuer must not contain bidirectional formatting characters"],
  ];
  for (const [value, expected] of cases) {
    assert.equal(labelProblem("issuer", value), expected, value);
  }
  assert.equal(
    labelProblem("account_name", "a:b"),
    'account_name must not contain ":" (the Key Uri Format separates issuer and account name with it)',
  );
});
