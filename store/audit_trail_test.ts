import assert from "node:assert/strict";
import { prepareAuditChain } from "./audit_trail.ts";
import { createAuditLog } from "../observability/audit.ts";
import { verifyAuditLog } from "../observability/verify_audit_log.ts";
import { importEd25519PublicPem } from "../crypto/ed25519.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { withTempDir } from "../testing/temp_dir.ts";
import { lineHash } from "../observability/audit_checkpoint.ts";
import { fileOf } from "../testing/audit_chain_fixture.ts";

async function start(dir: string, file: string, lines: string[]) {
  const prepared = await prepareAuditChain(file, {
    dataDir: dir,
    signingKeyPath: `${dir}/audit_signing.pem`,
    logger: createMemoryLogger(),
  });
  return {
    ...prepared,
    audit: createAuditLog({ file, chain: prepared.chain, write: (l) => lines.push(l) }),
  };
}

function summary(lines: string[]): string[] {
  return lines.map((l) => {
    try {
      const p = JSON.parse(l);
      return `${p.seq} ${p.event}`;
    } catch {
      return l;
    }
  });
}

Deno.test("an audit file's chain continues across restarts from its checkpoint; a crash's unsealed tail is never signed over", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/audit.jsonl`;
    const stdout: string[] = [];
    let run = await start(dir, file, stdout);
    run.audit.record("seed.set", { subject: "default" });
    run.audit.record("verify.ok", { subject: "default" });
    await run.audit.close();
    // A clean stop: the next start continues the same log.
    run = await start(dir, file, stdout);
    const first = run.chain.log;
    run.audit.record("verify.ok", { subject: "default" });
    await run.audit.close();
    // A crash: no checkpoint at the end, and the last write cut short.
    run = await start(dir, file, stdout);
    assert.equal(run.chain.log, first);
    run.audit.record("verify.fail", { subject: "default", reason: "invalid" });
    run.audit.record("verify.fail", { subject: "default", reason: "invalid" });
    await Deno.writeTextFile(file, '{"time":"2025-11-', { append: true });
    run = await start(dir, file, stdout);
    const second = run.chain.log;
    assert.notEqual(second, first);
    assert.equal((await Deno.readTextFile(`${dir}/audit_log_id`)).trim(), second);
    run.audit.record("verify.ok", { subject: "default" });
    await run.audit.close();

    const text = await Deno.readTextFile(file);
    const lines = text.trimEnd().split("\n");
    assert.deepEqual(summary(lines), [
      "1 seed.set",
      "2 verify.ok",
      "3 audit.checkpoint",
      "4 verify.ok",
      "5 audit.checkpoint",
      "6 verify.fail",
      "7 verify.fail",
      '{"time":"2025-11-',
      "1 audit.unsealed_tail",
      "2 verify.ok",
      "3 audit.checkpoint",
    ]);
    const opening = JSON.parse(lines[8]!);
    assert.deepEqual(
      [opening.log, opening.previousLog, opening.previousCheckpoint, opening.unsealed],
      [second, first, 5, 2],
    );
    assert.equal(opening.previousCheckpointHash, lineHash(lines[4]!));
    // Standard output carries the same bytes.
    assert.deepEqual(stdout, lines.filter((l) => l.endsWith("}")));
    const key = await importEd25519PublicPem(run.signingKey.publicPem);
    const result = await verifyAuditLog(await Deno.readFile(file), [key]);
    // The cut line stays visible: the verifier names it.
    assert.deepEqual(result.ok ? null : [result.tampering.seq, result.tampering.reason], [
      8,
      "the line is not part of any chain",
    ]);
    const healed = lines.filter((l) => l.endsWith("}")).join("\n") + "\n";
    assert.deepEqual(await verifyAuditLog(new TextEncoder().encode(healed), [key]), {
      ok: true,
      logs: [
        { log: first, intact: 5, lastCheckpoint: 5, unsealed: 2 },
        { log: second, intact: 3, lastCheckpoint: 3, unsealed: 0 },
      ],
      unchained: 0,
      endsMidLine: false,
    });
  });
});

Deno.test("a line forged while the service is stopped is not sealed by the next checkpoint, and cannot be taken back", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/audit.jsonl`;
    let run = await start(dir, file, []);
    run.audit.record("seed.set", { subject: "default" });
    await run.audit.close();
    const first = run.chain.log;
    const before = (await Deno.readTextFile(file)).trimEnd().split("\n");
    // Correctly chained: prev is only a SHA-256 of the line before.
    const forged = JSON.stringify({
      time: "2025-11-24T16:00:00.000Z",
      level: "info",
      msg: "audit",
      event: "verify.ok",
      subject: "default",
      log: first,
      seq: 3,
      prev: lineHash(before.at(-1)!),
    });
    await Deno.writeTextFile(file, forged + "\n", { append: true });
    run = await start(dir, file, []);
    run.audit.record("verify.ok", { subject: "default" });
    await run.audit.close();
    const second = run.chain.log;
    const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
    assert.deepEqual(summary(lines), [
      "1 seed.set",
      "2 audit.checkpoint",
      "3 verify.ok",
      "1 audit.unsealed_tail",
      "2 verify.ok",
      "3 audit.checkpoint",
    ]);
    const key = await importEd25519PublicPem(run.signingKey.publicPem);
    assert.deepEqual(await verifyAuditLog(fileOf(lines), [key]), {
      ok: true,
      logs: [
        { log: first, intact: 2, lastCheckpoint: 2, unsealed: 1 },
        { log: second, intact: 3, lastCheckpoint: 3, unsealed: 0 },
      ],
      unchained: 0,
      endsMidLine: false,
    });
    const changed = `log ${first} changed after the restart recorded at this line`;
    // Removing the forged line afterwards does not make the file look sealed.
    const removed = await verifyAuditLog(fileOf(lines.filter((l) => l !== forged)), [key]);
    assert.deepEqual(
      removed.ok ? null : [removed.tampering.log, removed.tampering.seq, removed.tampering.line],
      [first, 3, 3],
    );
    assert.equal(
      removed.ok ? null : removed.tampering.reason,
      `${changed}: 1 unsealed lines after checkpoint 2 were recorded, the file has 0 after checkpoint 2`,
    );
    // Nor does adding another line to the old log.
    const more = forged.replace('"seq":3', '"seq":4').replace(
      /"prev":"[0-9a-f]+"/,
      `"prev":"${lineHash(forged)}"`,
    );
    const added = await verifyAuditLog(fileOf([...lines, more]), [key]);
    assert.equal(
      added.ok ? null : added.tampering.reason,
      `${changed}: 1 unsealed lines after checkpoint 2 were recorded, the file has 2 after checkpoint 2`,
    );
  });
});

Deno.test("without a chain the audit log writes plain lines, as before", async () => {
  await withTempDir(async (dir) => {
    const audit = createAuditLog({ file: `${dir}/a.jsonl`, now: () => 0, write: () => {} });
    audit.record("auth.denied", { reason: "no token" });
    await audit.close();
    assert.equal(
      await Deno.readTextFile(`${dir}/a.jsonl`),
      '{"time":"1970-01-01T00:00:00.000Z","level":"info","msg":"audit","event":"auth.denied","reason":"no token"}\n',
    );
  });
});
