/**
 * The cost of the tamper-evident audit file per line: one `record()` of a typical event
 * appended to a file, plain (as before the chain) and chained (seq, prev = SHA-256 of the
 * line before, an Ed25519 checkpoint every 100 lines), and the checkpoint signature alone.
 * Standard output is left out (a no-op writer) so the difference is the chain's.
 *
 * Run: deno bench -A --config=deno.dev.json bench/audit_chain_bench.ts
 *
 * @module
 */
import { createAuditLog } from "../observability/audit.ts";
import { generateEd25519Pem, importEd25519PrivatePem, signEd25519 } from "../crypto/ed25519.ts";
import { checkpointMessage } from "../observability/audit_checkpoint.ts";

const dir = await Deno.makeTempDir({ prefix: "pki2fa-audit-bench-" });
const key = await importEd25519PrivatePem(await generateEd25519Pem());
const fields = {
  requestId: "5f0b6c2e-8f1a-4a57-9d1e-2b7f3c9a1d44",
  client: "203.0.113.7",
  subject: "alice@example.com",
  reason: "invalid",
};

const plain = createAuditLog({ file: `${dir}/plain.jsonl`, write: () => {} });
const chained = createAuditLog({
  file: `${dir}/chained.jsonl`,
  write: () => {},
  chain: { log: "benchlog", signer: { kid: key.kid, privateKey: key.privateKey }, after: null },
});

Deno.bench("audit line, plain file", { group: "audit", baseline: true }, () => {
  plain.record("verify.fail", fields);
});

Deno.bench("audit line, chained file (checkpoint every 100)", { group: "audit" }, async () => {
  chained.record("verify.fail", fields);
  // Let a checkpoint being signed finish, as the event loop does between requests.
  await Promise.resolve();
});

const message = checkpointMessage({
  log: "benchlog",
  seq: 101,
  chain: "ab".repeat(32),
  time: new Date().toISOString(),
});
Deno.bench("checkpoint signature (Ed25519)", async () => {
  await signEd25519(key.privateKey, message);
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
