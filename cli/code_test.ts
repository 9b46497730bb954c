import assert from "node:assert/strict";
import { main } from "./code.ts";
import { memoryIo } from "../testing/memory_io.ts";

Deno.test("code prints the stored seed's code and seconds left", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/seed.txt`,
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    );
    const io = memoryIo();
    assert.equal(await main(["--data-dir", dir], io, () => 2_000_000_000_000), 0);
    assert.deepEqual(io.outLines, ["440276 (valid for 10 s)"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("code says what to do when there is no seed", async () => {
  const io = memoryIo();
  assert.equal(await main(["--data-dir", "/nonexistent"], io), 1);
  assert.deepEqual(io.errLines, [
    'code: No usable seed in "/nonexistent/seed.txt": post one to /decrypt-seed first',
  ]);
});
