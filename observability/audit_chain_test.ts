import assert from "node:assert/strict";
import { AuditChain } from "./audit_chain.ts";
import { checkpointMessage, GENESIS, lineHash } from "./audit_checkpoint.ts";
import {
  generateEd25519Pem,
  importEd25519PrivatePem,
  importEd25519PublicPem,
  verifyEd25519,
} from "../crypto/ed25519.ts";
import { writeChainedLog } from "../testing/audit_chain_fixture.ts";

const key = await importEd25519PrivatePem(await generateEd25519Pem());
const signer = { kid: key.kid, privateKey: key.privateKey };
const LOG = "0123456789abcdef";

function entry(n: number) {
  return {
    time: "2025-11-24T16:00:00.000Z",
    level: "info",
    msg: "audit",
    event: "verify.ok",
    subject: `s${n}`,
  };
}

Deno.test("AuditChain numbers lines from 1 and links each to the SHA-256 of the line before", async () => {
  const lines: string[] = [];
  const chain = new AuditChain({
    log: LOG,
    signer,
    after: null,
    emit: (l) => lines.push(l),
    now: () => 0,
  });
  chain.append(entry(1));
  chain.append(entry(2));
  assert.deepEqual(JSON.parse(lines[0]!), { ...entry(1), log: LOG, seq: 1, prev: GENESIS });
  assert.deepEqual(JSON.parse(lines[1]!), {
    ...entry(2),
    log: LOG,
    seq: 2,
    prev: lineHash(lines[0]!),
  });
  // The hash is over the exact bytes, here checked with WebCrypto rather than node:crypto.
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(lines[0]!)),
  );
  assert.equal(JSON.parse(lines[1]!).prev, digest.toHex());
  await chain.close();
});

Deno.test("AuditChain writes a signed checkpoint after every 100 lines, and one at close", async () => {
  const { lines } = await writeChainedLog({ events: 250, key });
  assert.equal(lines.length, 253);
  const checkpoints = lines.map((l) => JSON.parse(l)).filter((l) => l.event === "audit.checkpoint");
  assert.deepEqual(checkpoints.map((c) => c.seq), [101, 202, 253]);
  const publicKey = (await importEd25519PublicPem(key.publicPem)).publicKey;
  for (const c of checkpoints) {
    assert.equal(c.chain, lineHash(lines[c.seq - 2]!));
    assert.equal(c.prev, c.chain);
    assert.equal(c.kid, key.kid);
    assert.deepEqual(Object.keys(c), [
      "time",
      "level",
      "msg",
      "event",
      "chain",
      "kid",
      "sig",
      "log",
      "seq",
      "prev",
    ]);
    const message = checkpointMessage({ log: LOG, seq: c.seq, chain: c.chain, time: c.time });
    assert.equal(await verifyEd25519(publicKey, Uint8Array.fromBase64(c.sig), message), true);
  }
  // Every line still follows the one before, checkpoints included.
  for (let i = 1; i < lines.length; i++) {
    assert.equal(JSON.parse(lines[i]!).prev, lineHash(lines[i - 1]!));
    assert.equal(JSON.parse(lines[i]!).seq, i + 1);
  }
});

Deno.test("AuditChain: events that arrive while a checkpoint is signed follow it, in order", async () => {
  const lines: string[] = [];
  const chain = new AuditChain({
    log: LOG,
    signer,
    after: null,
    emit: (l) => lines.push(l),
    now: () => 0,
    sealEvery: 3,
  });
  for (let i = 1; i <= 7; i++) chain.append(entry(i)); // no await: all arrive during the signing
  await chain.close();
  assert.deepEqual(
    lines.map((l) => JSON.parse(l)).map((l) => l.subject ?? l.event),
    [
      "s1",
      "s2",
      "s3",
      "audit.checkpoint",
      "s4",
      "s5",
      "s6",
      "audit.checkpoint",
      "s7",
      "audit.checkpoint",
    ],
  );
});

Deno.test("AuditChain seals within sealAfterMs of the first unsealed line, and not when nothing is new", async () => {
  const lines: string[] = [];
  const chain = new AuditChain({
    log: LOG,
    signer,
    after: null,
    emit: (l) => lines.push(l),
    now: () => 0,
    sealAfterMs: 30,
  });
  chain.append(entry(1));
  await new Promise((resolve) => setTimeout(resolve, 100));
  await chain.settled();
  assert.deepEqual(lines.map((l) => JSON.parse(l).event), ["verify.ok", "audit.checkpoint"]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await chain.close();
  assert.equal(lines.length, 2, "no checkpoint without new lines, at the timer or at close");
});

Deno.test("AuditChain continues after a position read from the file, sealing a crash's unsealed tail", async () => {
  const lines: string[] = [];
  const after = { seq: 41, hash: "ab".repeat(32), sealed: false };
  const chain = new AuditChain({
    log: LOG,
    signer,
    after,
    emit: (l) => lines.push(l),
    now: () => 0,
  });
  await chain.close();
  assert.deepEqual(
    lines.map((l) => JSON.parse(l)).map(({ event, seq, prev }) => ({ event, seq, prev })),
    [{ event: "audit.checkpoint", seq: 42, prev: "ab".repeat(32) }],
  );
  const sealed: string[] = [];
  const again = new AuditChain({
    log: LOG,
    signer,
    after: { ...after, sealed: true },
    emit: (l) => sealed.push(l),
  });
  again.append(entry(1));
  assert.equal(JSON.parse(sealed[0]!).seq, 42);
  again.append(entry(2));
  await again.close();
  assert.deepEqual(sealed.map((l) => JSON.parse(l).seq), [42, 43, 44]);
});

Deno.test("AuditChain: a signer that fails reports it, keeps writing lines and does not hold close", async () => {
  const lines: string[] = [];
  const errors: unknown[] = [];
  const verifyOnly = (await importEd25519PublicPem(key.publicPem)).publicKey;
  const chain = new AuditChain({
    log: LOG,
    signer: { kid: key.kid, privateKey: verifyOnly },
    after: null,
    emit: (l) => lines.push(l),
    onSealError: (e) => errors.push(e),
    sealEvery: 2,
  });
  chain.append(entry(1));
  chain.append(entry(2));
  chain.append(entry(3));
  await chain.close();
  assert.deepEqual(lines.map((l) => JSON.parse(l).seq), [1, 2, 3]);
  assert.ok(errors.length >= 1);
});
