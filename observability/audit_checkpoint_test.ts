import assert from "node:assert/strict";
import { checkpointMessage, GENESIS, lineHash } from "./audit_checkpoint.ts";

const fields = {
  log: "0123456789abcdef",
  seq: 101,
  chain: "ab".repeat(32),
  time: "2025-11-24T16:00:15.000Z",
};

Deno.test("checkpointMessage() is the documented versioned text, byte for byte", () => {
  assert.equal(
    new TextDecoder().decode(checkpointMessage(fields)),
    `pki-2fa-audit-checkpoint-v1\n0123456789abcdef\n101\n${
      "ab".repeat(32)
    }\n2025-11-24T16:00:15.000Z`,
  );
});

Deno.test("checkpointMessage() refuses every field not in its one canonical form", () => {
  const bad: [Partial<typeof fields> & Record<string, unknown>, RegExp][] = [
    [{ log: "A" }, /log id/],
    [{ log: "a\nb" }, /log id/],
    [{ seq: 1 }, /seq/],
    [{ seq: 2.5 }, /seq/],
    [{ chain: "AB".repeat(32) }, /chain/],
    [{ chain: "ab" }, /chain/],
    [{ time: "2025-11-24T16:00:15Z" }, /time/],
    [{ time: "2025-11-24T16:00:15.000+00:00" }, /time/],
    [{ time: "2025-02-30T16:00:15.000Z" }, /time/],
  ];
  for (const [change, message] of bad) {
    assert.throws(() => checkpointMessage({ ...fields, ...change } as typeof fields), {
      name: "TypeError",
      message,
    }, JSON.stringify(change));
  }
});

Deno.test("lineHash() is the SHA-256 of the line's UTF-8 bytes; GENESIS is 64 zeros", () => {
  assert.equal(lineHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(lineHash("é"), lineHash(Uint8Array.of(0xc3, 0xa9)));
  assert.equal(GENESIS, "0".repeat(64));
});
