/**
 * The signature of a checkpoint covers its log, seq, chain and time, and the line's bytes are
 * covered by the next line's `prev`; the last checkpoint of a file has no next line. Before
 * the fix anything could be added to that line (a second "event", a made-up subject or
 * client) and the file still verified as intact up to it.
 */
import assert from "node:assert/strict";
import { verifyAuditLog } from "./verify_audit_log.ts";
import { fileOf, writeChainedLog } from "../testing/audit_chain_fixture.ts";
import { importEd25519PublicPem } from "../crypto/ed25519.ts";

// 5 events, then the closing checkpoint at seq 6.
const { lines, key } = await writeChainedLog({ events: 5 });
const publicKey = await importEd25519PublicPem(key.publicPem);
const last = lines.at(-1)!;

async function verifyWithLast(line: string) {
  const result = await verifyAuditLog(fileOf([...lines.slice(0, -1), line]), [publicKey]);
  return result.ok ? "intact" : `seq ${result.tampering.seq}: ${result.tampering.reason}`;
}

Deno.test("the untouched last checkpoint verifies", async () => {
  assert.equal(JSON.parse(last).event, "audit.checkpoint");
  assert.equal(await verifyWithLast(last), "intact");
});

Deno.test("a last checkpoint with anything added, repeated, reordered or changed is forged", async () => {
  const forged: [string, string][] = [
    ["a made-up event before its own", last.replace('{"time"', '{"event":"seed.set","time"')],
    ["an added subject", last.replace('"kid"', '"subject":"mallory","kid"')],
    ["an added client at the end", last.replace(/}$/, ',"client":"10.6.6.6"}')],
    ["msg changed", last.replace('"msg":"audit"', '"msg":"seed replaced by admin"')],
    ["level changed", last.replace('"level":"info"', '"level":"warn"')],
    ["spaces added", last.replace('"level":"info"', '"level": "info"')],
    [
      "fields reordered",
      JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(last)).reverse())),
    ],
  ];
  for (const [what, line] of forged) {
    assert.notEqual(line, last, what);
    assert.equal(
      await verifyWithLast(line),
      "seq 6: forged checkpoint: not in the form the service writes",
      what,
    );
  }
});
