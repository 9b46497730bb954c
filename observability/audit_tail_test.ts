import assert from "node:assert/strict";
import { readChainTail } from "./audit_tail.ts";
import { lineHash } from "./audit_checkpoint.ts";
import { fileOf, writeChainedLog } from "../testing/audit_chain_fixture.ts";
import { withTempDir } from "../testing/temp_dir.ts";
import { importEd25519PublicPem } from "../crypto/ed25519.ts";

Deno.test("readChainTail() finds a log's last verified checkpoint behind other replicas' lines, across chunk borders", async () => {
  await withTempDir(async (dir) => {
    const mine = await writeChainedLog({ events: 150, log: "mine", close: false });
    const theirs = await writeChainedLog({ events: 40, log: "theirs", key: mine.key });
    const keys = [await importEd25519PublicPem(mine.key.publicPem)];
    const path = `${dir}/audit.jsonl`;
    // "é" makes byte and character offsets differ.
    const last = mine.lines.at(-1)!.replace('"s150"', '"sé150"');
    const lines = [
      ...mine.lines.slice(0, -1),
      ...theirs.lines.slice(0, 20),
      last,
      ...theirs.lines.slice(20),
    ];
    assert.equal(JSON.parse(mine.lines[100]!).seq, 101);
    assert.equal(JSON.parse(mine.lines[100]!).event, "audit.checkpoint");
    await Deno.writeFile(path, fileOf(lines));
    for (const chunkBytes of [7, 100, 331, 65536]) {
      assert.deepEqual(await readChainTail(path, "mine", { keys, chunkBytes }), {
        checkpoint: { seq: 101, hash: lineHash(mine.lines[100]!), sealed: true },
        unsealed: 50,
        endsMidLine: false,
      }, `chunk ${chunkBytes}`);
      assert.deepEqual(await readChainTail(path, "theirs", { keys, chunkBytes }), {
        checkpoint: { seq: 41, hash: lineHash(theirs.lines.at(-1)!), sealed: true },
        unsealed: 0,
        endsMidLine: false,
      });
      assert.deepEqual(await readChainTail(path, "nobody", { keys, chunkBytes }), {
        checkpoint: null,
        unsealed: 0,
        endsMidLine: false,
      });
    }
  });
});

Deno.test("readChainTail(): a line appended after the last checkpoint, or a checkpoint another key signed, is unsealed", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit.jsonl`;
    const mine = await writeChainedLog({ events: 3, log: "mine" });
    const keys = [await importEd25519PublicPem(mine.key.publicPem)];
    const checkpoint = mine.lines.at(-1)!;
    // Correctly chained, as anyone who can write the file can make it.
    const forged = JSON.stringify({
      time: "2025-11-24T16:00:00.000Z",
      level: "info",
      msg: "audit",
      event: "seed.set",
      subject: "default",
      log: "mine",
      seq: 5,
      prev: lineHash(checkpoint),
    });
    await Deno.writeFile(path, fileOf([...mine.lines, forged]));
    const sealedAt4 = { seq: 4, hash: lineHash(checkpoint), sealed: true };
    assert.deepEqual(await readChainTail(path, "mine", { keys }), {
      checkpoint: sealedAt4,
      unsealed: 1,
      endsMidLine: false,
    });
    // The same log sealed with a key that is not the audit key: its checkpoint does not count.
    const other = await writeChainedLog({ events: 3, log: "mine" });
    await Deno.writeFile(path, fileOf([...mine.lines, ...other.lines.map((l) => l)]));
    assert.deepEqual(await readChainTail(path, "mine", { keys }), {
      checkpoint: sealedAt4,
      unsealed: 4,
      endsMidLine: false,
    });
    // A checkpoint with a field added is not in the writer's form.
    await Deno.writeFile(
      path,
      fileOf([...mine.lines.slice(0, -1), checkpoint.replace("{", '{"x":1,')]),
    );
    assert.deepEqual(await readChainTail(path, "mine", { keys }), {
      checkpoint: null,
      unsealed: 4,
      endsMidLine: false,
    });
  });
});

Deno.test("readChainTail(): a missing or empty file starts a chain; a cut last line is counted and reported", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit.jsonl`;
    const { lines, key } = await writeChainedLog({ events: 3, log: "mine", close: false });
    const keys = [await importEd25519PublicPem(key.publicPem)];
    const empty = { checkpoint: null, unsealed: 0, endsMidLine: false };
    assert.deepEqual(await readChainTail(path, "mine", { keys }), empty);
    await Deno.writeTextFile(path, "");
    assert.deepEqual(await readChainTail(path, "mine", { keys }), empty);
    await Deno.writeFile(path, fileOf(lines).subarray(0, -10));
    assert.deepEqual(await readChainTail(path, "mine", { keys }), {
      checkpoint: null,
      unsealed: 3,
      endsMidLine: true,
    });
    await assert.rejects(readChainTail(path, "Not/An/Id", { keys }), TypeError);
  });
});
