import assert from "node:assert/strict";
import { main } from "./audit_verify.ts";
import { memoryIo } from "../testing/memory_io.ts";
import { fileOf, writeChainedLog } from "../testing/audit_chain_fixture.ts";
import { withTempDir } from "../testing/temp_dir.ts";

const sealed = await writeChainedLog({ events: 250 });
const other = await writeChainedLog({ events: 30, log: "other", key: sealed.key });

async function verify(dir: string, lines: string[], extra: string[] = []) {
  await Deno.writeFile(`${dir}/audit.jsonl`, fileOf(lines));
  await Deno.writeTextFile(`${dir}/audit.pem`, sealed.key.publicPem);
  const io = memoryIo();
  const code = await main([`${dir}/audit.jsonl`, "--public-key", `${dir}/audit.pem`, ...extra], io);
  return { code, out: io.outLines, err: io.errLines };
}

Deno.test("audit-verify: an untouched log gives exit 0 and the summary", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await verify(dir, sealed.lines), {
      code: 0,
      out: ["253 lines intact, last checkpoint at seq 253, 0 lines after it not yet sealed"],
      err: [],
    });
    assert.deepEqual(await verify(dir, [...sealed.lines, ...other.lines]), {
      code: 0,
      out: [
        "log 0123456789abcdef: 253 lines intact, last checkpoint at seq 253, 0 lines after it not yet sealed",
        "log other: 31 lines intact, last checkpoint at seq 31, 0 lines after it not yet sealed",
      ],
      err: [],
    });
  });
});

Deno.test("audit-verify: a log cut after its last checkpoint is reported unsealed; --require-sealed fails it", async () => {
  await withTempDir(async (dir) => {
    const cut = sealed.lines.slice(0, 150);
    assert.deepEqual(await verify(dir, cut), {
      code: 0,
      out: ["101 lines intact, last checkpoint at seq 101, 49 lines after it not yet sealed"],
      err: [],
    });
    assert.deepEqual(await verify(dir, cut, ["--require-sealed"]), {
      code: 1,
      out: ["101 lines intact, last checkpoint at seq 101, 49 lines after it not yet sealed"],
      err: ["audit-verify: --require-sealed: log 0123456789abcdef has 49 unsealed lines"],
    });
    assert.deepEqual(await verify(dir, sealed.lines.slice(0, 50)), {
      code: 0,
      out: ["0 lines intact, no checkpoint yet, 50 lines not yet sealed"],
      err: [],
    });
  });
});

Deno.test("audit-verify: --require-sealed fails lines before the chain, naming them", async () => {
  await withTempDir(async (dir) => {
    const forged =
      '{"time":"2025-11-24T16:00:00.000Z","level":"info","msg":"audit","event":"seed.set"}';
    const summary = "253 lines intact, last checkpoint at seq 253, 0 lines after it not yet sealed";
    assert.deepEqual(await verify(dir, [forged, ...sealed.lines]), {
      code: 0,
      out: [summary, "1 earlier lines come before the chain and are not covered"],
      err: [],
    });
    const file = `${dir}/audit.jsonl`;
    assert.deepEqual(await verify(dir, [forged, ...sealed.lines], ["--require-sealed"]), {
      code: 1,
      out: [summary, "1 earlier lines come before the chain and are not covered"],
      err: [`audit-verify: --require-sealed: line 1 of ${file} is not covered by a checkpoint`],
    });
    assert.deepEqual(await verify(dir, [forged, forged, ...sealed.lines], ["--require-sealed"]), {
      code: 1,
      out: [summary, "2 earlier lines come before the chain and are not covered"],
      err: [
        `audit-verify: --require-sealed: lines 1 to 2 of ${file} are not covered by a checkpoint`,
      ],
    });
  });
});

Deno.test("audit-verify: a deleted line gives exit 1 naming its seq, log and line", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await verify(dir, sealed.lines.toSpliced(76, 1)), {
      code: 1,
      out: [],
      err: [
        `audit-verify: seq 77 (log 0123456789abcdef, line 77 of ${dir}/audit.jsonl): seq 77 is missing (found seq 78)`,
      ],
    });
  });
});

Deno.test("audit-verify: usage and key errors are clear", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/audit.jsonl`, "");
    const cases: [string[], number, string][] = [
      [[`${dir}/audit.jsonl`], 2, "audit-verify: Give the audit signing key with --public-key PEM"],
      [["--public-key", "k.pem"], 2, "audit-verify: Give the audit file to check"],
      [
        [`${dir}/audit.jsonl`, "--public-key", `${dir}/none.pem`],
        1,
        `audit-verify: Public key file "${dir}/none.pem" does not exist`,
      ],
      [
        [`${dir}/audit.jsonl`, "--public-key", `${dir}/audit.jsonl`],
        1,
        `audit-verify: "${dir}/audit.jsonl" is not an Ed25519 public key: No PEM block found`,
      ],
    ];
    for (const [args, code, first] of cases) {
      const io = memoryIo();
      assert.equal(await main(args, io), code, args.join(" "));
      assert.equal(io.errLines[0], first);
    }
    await Deno.writeTextFile(`${dir}/audit.pem`, sealed.key.publicPem);
    const io = memoryIo();
    assert.equal(await main([`${dir}/missing.jsonl`, "--public-key", `${dir}/audit.pem`], io), 1);
    assert.deepEqual(io.errLines, [`audit-verify: "${dir}/missing.jsonl" does not exist`]);
  });
});
