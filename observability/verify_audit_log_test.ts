import assert from "node:assert/strict";
import { verifyAuditFile, verifyAuditLog } from "./verify_audit_log.ts";
import { lineHash } from "./audit_checkpoint.ts";
import { fileOf, writeChainedLog } from "../testing/audit_chain_fixture.ts";
import {
  type Ed25519PublicKey,
  generateEd25519Pem,
  importEd25519PrivatePem,
  importEd25519PublicPem,
} from "../crypto/ed25519.ts";

// 250 events: checkpoints at seq 101, 202 and (at close) 253.
const { lines, key } = await writeChainedLog({ events: 250 });
const publicKey: Ed25519PublicKey = await importEd25519PublicPem(key.publicPem);
const LOG = "0123456789abcdef";

/** The line of `seq` (1-based) in an untouched copy. */
const at = (seq: number) => seq - 1;

function edit(seq: number, change: (line: Record<string, unknown>) => void): string[] {
  const copy = [...lines];
  const parsed = JSON.parse(copy[at(seq)]!);
  change(parsed);
  copy[at(seq)] = JSON.stringify(parsed);
  return copy;
}

async function firstBad(copy: string[], keys = [publicKey]) {
  const result = await verifyAuditLog(fileOf(copy), keys);
  return result.ok ? result : { seq: result.tampering.seq, reason: result.tampering.reason };
}

Deno.test("verifyAuditLog(): an untouched log is intact up to its last checkpoint", async () => {
  assert.deepEqual(await verifyAuditLog(fileOf(lines), [publicKey]), {
    ok: true,
    logs: [{ log: LOG, intact: 253, lastCheckpoint: 253, unsealed: 0 }],
    unchained: 0,
    endsMidLine: false,
  });
});

Deno.test("verifyAuditLog(): a log cut after its last checkpoint reports the rest as unsealed, not intact", async () => {
  assert.deepEqual(await verifyAuditLog(fileOf(lines.slice(0, 230)), [publicKey]), {
    ok: true,
    logs: [{ log: LOG, intact: 202, lastCheckpoint: 202, unsealed: 28 }],
    unchained: 0,
    endsMidLine: false,
  });
  const cutMidLine = fileOf(lines.slice(0, 230)).subarray(0, -20);
  assert.deepEqual(await verifyAuditLog(cutMidLine, [publicKey]), {
    ok: true,
    logs: [{ log: LOG, intact: 202, lastCheckpoint: 202, unsealed: 27 }],
    unchained: 0,
    endsMidLine: true,
  });
  const open = await writeChainedLog({ events: 5, close: false });
  assert.deepEqual(
    await verifyAuditLog(fileOf(open.lines), [await importEd25519PublicPem(open.key.publicPem)]),
    {
      ok: true,
      logs: [{ log: LOG, intact: 0, lastCheckpoint: null, unsealed: 5 }],
      unchained: 0,
      endsMidLine: false,
    },
  );
});

const TAMPERING: [string, () => string[], number, RegExp][] = [
  ["an edited event line", () => edit(150, (l) => (l.event = "verify.fail")), 150, /altered/],
  ["an edited first line", () => edit(1, (l) => (l.subject = "mallory")), 1, /altered/],
  [
    "an edited line just before a checkpoint",
    () => edit(201, (l) => (l.subject = "x")),
    201,
    /altered/,
  ],
  ["an edited prev", () => edit(60, (l) => (l.prev = "0".repeat(64))), 60, /does not belong/],
  ["a deleted line", () => lines.toSpliced(at(77), 1), 77, /seq 77 is missing/],
  ["a deleted checkpoint", () => lines.toSpliced(at(101), 1), 101, /seq 101 is missing/],
  ["two deleted lines", () => lines.toSpliced(at(10), 2), 10, /seq 10 is missing/],
  [
    "lines swapped",
    () => {
      const copy = [...lines];
      [copy[at(30)], copy[at(31)]] = [copy[at(31)]!, copy[at(30)]!];
      return copy;
    },
    30,
    /seq 30 is missing \(found seq 31\)/,
  ],
  [
    "a copy of a line inserted after it",
    () => lines.toSpliced(at(44) + 1, 0, lines[at(44)]!),
    44,
    /seq 44 appears again/,
  ],
  [
    "a forged line inserted with the next seq and a correct prev",
    () => {
      const forged = JSON.stringify({
        ...JSON.parse(lines[at(120)]!),
        subject: "mallory",
        prev: lineHash(lines[at(119)]!),
      });
      return lines.toSpliced(at(120), 0, forged);
    },
    120,
    /appears again/,
  ],
  [
    "a forged line inserted with the next seq and a wrong prev",
    () => {
      const forged = JSON.stringify({
        ...JSON.parse(lines[at(120)]!),
        subject: "mallory",
        prev: "1".repeat(64),
      });
      return lines.toSpliced(at(120), 0, forged);
    },
    120,
    /does not belong/,
  ],
  [
    "a line without chain fields inserted",
    () => lines.toSpliced(at(90), 0, '{"event":"verify.ok"}'),
    90,
    /not part of any chain/,
  ],
  [
    "a line that is not JSON inserted",
    () => lines.toSpliced(at(90), 0, "hello"),
    90,
    /not part of any chain/,
  ],
  [
    "a checkpoint with a changed signature",
    () =>
      edit(202, (l) => {
        const sig = Uint8Array.fromBase64(l.sig as string);
        sig[0]! ^= 1;
        l.sig = sig.toBase64();
      }),
    202,
    /signature does not verify/,
  ],
  [
    "a checkpoint with a changed time",
    () => edit(101, (l) => (l.time = "2030-01-01T00:00:00.000Z")),
    101,
    /signature does not verify/,
  ],
  [
    "a checkpoint whose chain is not its prev",
    () => edit(253, (l) => (l.chain = "2".repeat(64))),
    253,
    /chain is not its prev/,
  ],
  [
    "a checkpoint with an unknown kid",
    () => edit(101, (l) => (l.kid = "3".repeat(64))),
    101,
    /not given/,
  ],
];

for (const [kind, tamper, seq, reason] of TAMPERING) {
  Deno.test(`verifyAuditLog(): ${kind} is found at seq ${seq}`, async () => {
    const found = await firstBad(tamper());
    assert.ok(!("ok" in found), `not detected: ${JSON.stringify(found)}`);
    assert.equal(found.seq, seq, found.reason);
    assert.match(found.reason, reason);
  });
}

Deno.test("verifyAuditLog(): a whole sealed history rewritten with another key is a forged checkpoint", async () => {
  const forger = await importEd25519PrivatePem(await generateEd25519Pem());
  const rewritten = await writeChainedLog({ events: 250, key: forger });
  assert.deepEqual(await firstBad(rewritten.lines), {
    seq: 101,
    reason: `checkpoint signed by a key not given (kid "${forger.kid}")`,
  });
  // ...and with the forger's kid but not its key: the signature fails.
  const relabelled = rewritten.lines.map((l) => l.replaceAll(forger.kid, key.kid));
  assert.match((await firstBad(relabelled) as { reason: string }).reason, /forged checkpoint/);
});

Deno.test("verifyAuditLog(): replicas' chains interleaved in one file are checked one by one", async () => {
  const a = await writeChainedLog({ events: 120, log: "replica-a", key });
  const b = await writeChainedLog({ events: 30, log: "replica-b", key });
  const mixed: string[] = [];
  for (let i = 0; i < Math.max(a.lines.length, b.lines.length); i++) {
    if (a.lines[i]) mixed.push(a.lines[i]!);
    if (b.lines[i]) mixed.push(b.lines[i]!);
  }
  assert.deepEqual(
    await verifyAuditLog(fileOf(['{"msg":"audit","event":"seed.set"}', ...mixed]), [publicKey]),
    {
      ok: true,
      logs: [
        { log: "replica-a", intact: 122, lastCheckpoint: 122, unsealed: 0 },
        { log: "replica-b", intact: 31, lastCheckpoint: 31, unsealed: 0 },
      ],
      unchained: 1,
      endsMidLine: false,
    },
  );
  const tampered = mixed.filter((l) =>
    !(JSON.parse(l).log === "replica-b" && JSON.parse(l).seq === 7)
  );
  const result = await verifyAuditLog(fileOf(tampered), [publicKey]);
  assert.equal(result.ok, false);
  assert.deepEqual(!result.ok && { log: result.tampering.log, seq: result.tampering.seq }, {
    log: "replica-b",
    seq: 7,
  });
});

Deno.test("verifyAuditLog(): a log whose first lines were cut is caught at seq 1", async () => {
  assert.deepEqual(await firstBad(lines.slice(5)), {
    seq: 1,
    reason: "seq 1 is missing (found seq 6)",
  });
  assert.deepEqual(await verifyAuditLog(new Uint8Array(0), [publicKey]), {
    ok: true,
    logs: [],
    unchained: 0,
    endsMidLine: false,
  });
});

Deno.test("verifyAuditFile() reads in chunks and finds what verifyAuditLog() finds, across chunk borders", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string, Uint8Array][] = [
      ["untouched", fileOf(lines)],
      ["cut mid-line", fileOf(lines.slice(0, 230)).subarray(0, -20)],
      ["a deleted line", fileOf(lines.toSpliced(at(77), 1))],
      ["an edited line", fileOf(edit(150, (l) => (l.event = "verify.fail")))],
    ];
    for (const [name, bytes] of cases) {
      await Deno.writeFile(`${dir}/audit.jsonl`, bytes);
      const whole = await verifyAuditLog(bytes, [publicKey]);
      for (const chunkBytes of [1, 97, 4096, 1 << 20]) {
        assert.deepEqual(
          await verifyAuditFile(`${dir}/audit.jsonl`, [publicKey], { chunkBytes }),
          whole,
          `${name}, ${chunkBytes}`,
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
