import assert from "node:assert/strict";
import { prepareAuditChain } from "./audit_trail.ts";
import { createAuditLog } from "../observability/audit.ts";
import { verifyAuditLog } from "../observability/verify_audit_log.ts";
import { importEd25519PublicPem } from "../crypto/ed25519.ts";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { withTempDir } from "../testing/temp_dir.ts";

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

Deno.test("an audit file's chain continues across restarts and verifies, a crash's tail included", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/audit.jsonl`;
    const stdout: string[] = [];
    let run = await start(dir, file, stdout);
    run.audit.record("seed.set", { subject: "default" });
    run.audit.record("verify.ok", { subject: "default" });
    await run.audit.close();
    // A crash: no checkpoint at the end, and the last write cut short.
    run = await start(dir, file, stdout);
    run.audit.record("verify.fail", { subject: "default", reason: "invalid" });
    run.audit.record("verify.fail", { subject: "default", reason: "invalid" });
    await Deno.writeTextFile(file, '{"time":"2025-11-', { append: true });
    run = await start(dir, file, stdout);
    run.audit.record("verify.ok", { subject: "default" });
    await run.audit.close();

    const text = await Deno.readTextFile(file);
    const lines = text.trimEnd().split("\n");
    assert.deepEqual(
      lines.map((l) => {
        try {
          const p = JSON.parse(l);
          return `${p.seq} ${p.event}`;
        } catch {
          return l;
        }
      }),
      [
        "1 seed.set",
        "2 verify.ok",
        "3 audit.checkpoint",
        "4 verify.fail",
        "5 verify.fail",
        '{"time":"2025-11-',
        "6 verify.ok",
        "7 audit.checkpoint",
      ],
    );
    // Standard output carries the same bytes.
    assert.deepEqual(stdout, lines.filter((l) => l.endsWith("}")));
    const key = await importEd25519PublicPem(run.signingKey.publicPem);
    const result = await verifyAuditLog(await Deno.readFile(file), [key]);
    // The cut line stays visible: the verifier names it.
    assert.deepEqual(result.ok ? null : [result.tampering.seq, result.tampering.reason], [
      6,
      "the line is not part of any chain",
    ]);
    const healed = lines.filter((l) => l.endsWith("}")).join("\n") + "\n";
    assert.deepEqual(await verifyAuditLog(new TextEncoder().encode(healed), [key]), {
      ok: true,
      logs: [{ log: run.chain.log, intact: 7, lastCheckpoint: 7, unsealed: 0 }],
      unchained: 0,
      endsMidLine: false,
    });
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
