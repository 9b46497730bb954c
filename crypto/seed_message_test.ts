import assert from "node:assert/strict";
import { parseIssuedAt, seedMessage } from "./seed_message.ts";

Deno.test("seedMessage() is the five lines of the documented form, with no trailing newline", () => {
  assert.equal(
    new TextDecoder().decode(seedMessage({
      subject: "alice@example.com",
      serviceKeyFingerprint: "ab".repeat(32),
      issuedAt: "2025-11-24T16:00:15.123Z",
      encryptedSeed: "QUJD",
    })),
    `pki-2fa-seed-v1\nalice@example.com\n${"ab".repeat(32)}\n2025-11-24T16:00:15.123Z\nQUJD`,
  );
});

Deno.test("parseIssuedAt() takes RFC 3339 UTC times and refuses everything else", () => {
  const cases: [string, number | null][] = [
    ["2025-11-24T16:00:15Z", Date.UTC(2025, 10, 24, 16, 0, 15)],
    ["2025-11-24T16:00:15.5Z", Date.UTC(2025, 10, 24, 16, 0, 15, 500)],
    ["2025-11-24T16:00:15.123Z", Date.UTC(2025, 10, 24, 16, 0, 15, 123)],
    ["2025-11-24T16:00:15+00:00", null],
    ["2025-11-24 16:00:15Z", null],
    ["2025-11-24T16:00Z", null],
    ["2025-02-30T00:00:00Z", null],
    ["2025-11-24T25:00:00Z", null],
    ["1764000015", null],
    ["", null],
  ];
  for (const [text, expected] of cases) assert.equal(parseIssuedAt(text), expected, text);
});
