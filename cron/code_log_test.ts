import assert from "node:assert/strict";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { SeedStore } from "../store/seed_store.ts";
import { CODE_LOG_FILE, formatUtc, writeCodeLog } from "./code_log.ts";

const SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

Deno.test("formatUtc() writes YYYY-MM-DD HH:MM:SS in UTC", () => {
  assert.equal(formatUtc(0), "1970-01-01 00:00:00");
  assert.equal(formatUtc(1_764_000_000_999), "2025-11-24 16:00:00");
});

Deno.test("writeCodeLog() appends one well-formed line per run with the code of that instant", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = await SeedStore.open(`${dir}/data`, { logger: createMemoryLogger() });
    await store.replace(SEED);
    const deps = { seed: () => store.seed, cronDir: `${dir}/cron`, logger: createMemoryLogger() };
    assert.equal(
      await writeCodeLog(deps, 1_764_000_000_000),
      "2025-11-24 16:00:00 - 2FA Code: 557321\n",
    );
    assert.equal(
      await writeCodeLog(deps, 2_000_000_000_000),
      "2033-05-18 03:33:20 - 2FA Code: 440276\n",
    );
    const now = 1_764_115_260_000;
    await writeCodeLog(deps, now);
    // oathtool's code at this instant (the interop suite checks it against oathtool itself).
    const expected = "036491";
    const content = await Deno.readTextFile(`${dir}/cron/${CODE_LOG_FILE}`);
    assert.equal(
      content,
      "2025-11-24 16:00:00 - 2FA Code: 557321\n" +
        "2033-05-18 03:33:20 - 2FA Code: 440276\n" +
        `${formatUtc(now)} - 2FA Code: ${expected}\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeCodeLog() writes nothing before a seed and logs a warning", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logger = createMemoryLogger();
    const result = await writeCodeLog({ seed: () => null, cronDir: `${dir}/cron`, logger }, 0);
    assert.equal(result, null);
    await assert.rejects(() => Deno.stat(`${dir}/cron/${CODE_LOG_FILE}`), Deno.errors.NotFound);
    assert.deepEqual(JSON.parse(logger.lines[0]!), {
      time: JSON.parse(logger.lines[0]!).time,
      level: "warn",
      msg: "No seed yet; the code log was not written",
      job: "code-log",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
