import assert from "node:assert/strict";
import { readChainTail } from "./audit_tail.ts";
import { lineHash } from "./audit_checkpoint.ts";
import { fileOf, writeChainedLog } from "../testing/audit_chain_fixture.ts";
import { withTempDir } from "../testing/temp_dir.ts";

Deno.test("readChainTail() finds a log's last line behind other replicas' lines, across chunk borders", async () => {
  await withTempDir(async (dir) => {
    const mine = await writeChainedLog({ events: 150, log: "mine", close: false });
    const theirs = await writeChainedLog({ events: 40, log: "theirs" });
    const path = `${dir}/audit.jsonl`;
    // "é" makes byte and character offsets differ.
    const last = mine.lines.at(-1)!.replace('"s150"', '"sé150"');
    const lines = [
      ...mine.lines.slice(0, -1),
      ...theirs.lines.slice(0, 20),
      last,
      ...theirs.lines.slice(20),
    ];
    await Deno.writeFile(path, fileOf(lines));
    for (const chunkBytes of [7, 100, 331, 65536]) {
      assert.deepEqual(await readChainTail(path, "mine", { chunkBytes }), {
        position: { seq: 151, hash: lineHash(last), sealed: false },
        endsMidLine: false,
      }, `chunk ${chunkBytes}`);
      assert.deepEqual(await readChainTail(path, "theirs", { chunkBytes }), {
        position: { seq: 41, hash: lineHash(theirs.lines.at(-1)!), sealed: true },
        endsMidLine: false,
      });
      assert.deepEqual(await readChainTail(path, "nobody", { chunkBytes }), {
        position: null,
        endsMidLine: false,
      });
    }
  });
});

Deno.test("readChainTail(): a missing or empty file starts a chain; a cut last line is skipped and reported", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit.jsonl`;
    assert.deepEqual(await readChainTail(path, "mine"), { position: null, endsMidLine: false });
    await Deno.writeTextFile(path, "");
    assert.deepEqual(await readChainTail(path, "mine"), { position: null, endsMidLine: false });
    const { lines } = await writeChainedLog({ events: 3, log: "mine", close: false });
    await Deno.writeFile(path, fileOf(lines).subarray(0, -10));
    assert.deepEqual(await readChainTail(path, "mine"), {
      position: { seq: 2, hash: lineHash(lines[1]!), sealed: false },
      endsMidLine: true,
    });
    await assert.rejects(readChainTail(path, "Not/An/Id"), TypeError);
  });
});
