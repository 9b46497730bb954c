import assert from "node:assert/strict";
import { writeFileAtomic } from "./atomic_write.ts";

Deno.test("writeFileAtomic() replaces the content with mode 0600 and leaves no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/seed.txt`;
    await writeFileAtomic(path, "first");
    await writeFileAtomic(path, "second");
    assert.equal(await Deno.readTextFile(path), "second");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(names, ["seed.txt"]);
    await writeFileAtomic(`${dir}/public.pem`, new Uint8Array([1, 2]), { mode: 0o644 });
    assert.equal((await Deno.stat(`${dir}/public.pem`)).mode! & 0o777, 0o644);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() leaves the old file and no temp file when the rename fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A folder in the target's place makes the rename fail after the temp file is written.
    await Deno.mkdir(`${dir}/target/inner`, { recursive: true });
    await assert.rejects(() => writeFileAtomic(`${dir}/target`, "data"));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["target"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
