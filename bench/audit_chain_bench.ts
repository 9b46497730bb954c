/**
 * The cost of the tamper-evident audit file per line: 1,000 `record()`s of a typical event
 * appended to a new file, then `close()`, plain (as before the chain) and chained (seq, prev =
 * SHA-256 of the line before, an Ed25519 checkpoint every 100 lines and at close); divide by
 * 1,000 for a line. And the checkpoint signature alone.
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

const LINES = 1000;
let file = 0;

/** Writes LINES events to a new file and closes it (the chained log seals at close). */
async function writeLines(chained: boolean): Promise<void> {
  const audit = createAuditLog({
    file: `${dir}/audit-${file++}.jsonl`,
    write: () => {},
    chain: chained
      ? { log: "benchlog", signer: { kid: key.kid, privateKey: key.privateKey }, after: null }
      : null,
  });
  for (let i = 0; i < LINES; i++) audit.record("verify.fail", fields);
  // Every line is written, each checkpoint signed (lines wait in order while one is).
  await audit.close();
}

Deno.bench(`${LINES} audit lines, plain file`, { group: "audit", baseline: true }, async () => {
  await writeLines(false);
});

Deno.bench(
  `${LINES} audit lines, chained file (checkpoint every 100)`,
  { group: "audit" },
  async () => {
    await writeLines(true);
  },
);

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
