import { withTempDir } from "../testing/temp_dir.ts";
import assert from "node:assert/strict";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { generateTotp } from "../crypto/totp.ts";
import { SeedStore, SeedStoreError } from "./seed_store.ts";
import { parseSeedHex, SEED_FILE } from "./seed_files.ts";

const SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const OTHER = "ff".repeat(32);

Deno.test("parseSeedHex() accepts 64 hex characters in any case and lower-cases them", () => {
  assert.equal(parseSeedHex(SEED.toUpperCase()), SEED);
  assert.equal(parseSeedHex(SEED), SEED);
  for (
    const bad of [SEED.slice(1), SEED + "0", SEED + "\n", " " + SEED.slice(1), "g".repeat(64), ""]
  ) {
    assert.equal(parseSeedHex(bad), null, JSON.stringify(bad));
  }
});

Deno.test("SeedStore starts empty, stores lower-case hex with mode 0600 and serves its codes", async () => {
  await withTempDir(async (dir) => {
    const store = await SeedStore.open(`${dir}/data`, { logger: createMemoryLogger() });
    assert.equal(store.seed, null);
    assert.equal(await store.replace(SEED.toUpperCase()), "set");
    const path = `${dir}/data/${SEED_FILE}`;
    assert.equal(await Deno.readTextFile(path), SEED);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(await generateTotp(store.seed!.codeAt, { now: 1_234_567_890_000 }), {
      code: "232605",
      validFor: 30,
    });
    assert.equal(await store.replace(SEED), "unchanged");
  });
});

Deno.test("SeedStore loads the seed again after a restart", async () => {
  await withTempDir(async (dir) => {
    await (await SeedStore.open(dir, { logger: createMemoryLogger() })).replace(SEED);
    const again = await SeedStore.open(dir, { logger: createMemoryLogger() });
    assert.equal((await generateTotp(again.seed!.codeAt, { now: 59_000 })).code, "555770");
  });
});

Deno.test("SeedStore treats a corrupt seed file as no seed and says so", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/${SEED_FILE}`, "not a seed");
    const logger = createMemoryLogger();
    const store = await SeedStore.open(dir, { logger });
    assert.equal(store.seed, null);
    const line = JSON.parse(logger.lines[0]!);
    assert.equal(line.level, "error");
    assert.equal(
      line.msg,
      "The seed file is corrupt (expected 64 hex characters); starting without a seed",
    );
    assert.equal(line.length, 10);
    // A file with a trailing newline, as `echo` writes it, still loads.
    await Deno.writeTextFile(`${dir}/${SEED_FILE}`, SEED + "\n");
    assert.notEqual((await SeedStore.open(dir, { logger })).seed, null);
  });
});

Deno.test("SeedStore keeps the old seed when the file cannot be written", async () => {
  await withTempDir(async (dir) => {
    const logger = createMemoryLogger();
    const store = await SeedStore.open(dir, { logger });
    await store.replace(SEED);
    const before = store.seed;
    // A folder in the file's place makes the atomic rename fail, even for root.
    await Deno.remove(`${dir}/${SEED_FILE}`);
    await Deno.mkdir(`${dir}/${SEED_FILE}/x`, { recursive: true });
    await assert.rejects(() => store.replace(OTHER), SeedStoreError);
    assert.equal(store.seed, before);
    assert.equal(JSON.parse(logger.lines.at(-1)!).msg, "Could not write the seed file");
    await assert.rejects(() => store.replace("abc"), RangeError);
  });
});

Deno.test("SeedStore serialises concurrent replacements so file and memory agree", async () => {
  await withTempDir(async (dir) => {
    const store = await SeedStore.open(dir, { logger: createMemoryLogger() });
    const seeds = Array.from(
      { length: 20 },
      () => crypto.getRandomValues(new Uint8Array(32)).toHex(),
    );
    await Promise.all(seeds.map((seed) => store.replace(seed)));
    assert.equal(await Deno.readTextFile(`${dir}/${SEED_FILE}`), seeds.at(-1));
    const again = await SeedStore.open(dir, { logger: createMemoryLogger() });
    const now = 1_800_000_000_000;
    assert.deepEqual(
      await generateTotp(store.seed!.codeAt, { now }),
      await generateTotp(again.seed!.codeAt, { now }),
    );
  });
});
