import assert from "node:assert/strict";
import { createMemoryLogger } from "../testing/memory_logger.ts";
import { withTempDir } from "../testing/temp_dir.ts";
import { SeedStore } from "../store/seed_store.ts";
import { CODE_LOG_FILE } from "./code_log.ts";
import { runCodeLogJob } from "./code_log_job.ts";
import { StateStoreUnavailableError } from "../store/state_store.ts";

const SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NOW = 1_764_000_000_000;

async function readLog(cronDir: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(`${cronDir}/${CODE_LOG_FILE}`);
  } catch {
    return null;
  }
}

Deno.test("runCodeLogJob(): writes only when it takes the minute's lease, and counts each run", async () => {
  await withTempDir(async (dir) => {
    const store = await SeedStore.open(`${dir}/data`, { logger: createMemoryLogger() });
    await store.replace(SEED);
    const runs: string[] = [];
    const leases: string[] = [];
    const base = {
      seed: () => store.seed,
      cronDir: `${dir}/cron`,
      logger: createMemoryLogger(),
      metrics: { codeLogRun: (result: string) => void runs.push(result) },
    };
    await runCodeLogJob({
      ...base,
      tryLease: (name, ttl) => (leases.push(`${name} ${ttl}`), Promise.resolve(false)),
    }, NOW);
    assert.equal(await readLog(base.cronDir), null);
    assert.deepEqual(runs, []);
    await runCodeLogJob({ ...base, tryLease: () => Promise.resolve(true) }, NOW);
    await runCodeLogJob({ ...base, tryLease: null }, NOW + 60_000);
    assert.equal(
      await readLog(base.cronDir),
      "2025-11-24 16:00:00 - 2FA Code: 557321\n2025-11-24 16:01:00 - 2FA Code: 080988\n",
    );
    assert.deepEqual(leases, [`code-log:${NOW / 60_000} 120000`]);
    assert.deepEqual(runs, ["written", "written"]);
  });
});

Deno.test("runCodeLogJob(): no seed is 'skipped'; an unwritable folder is 'failed' and logged, not thrown", async () => {
  await withTempDir(async (dir) => {
    const runs: string[] = [];
    const logger = createMemoryLogger();
    const metrics = { codeLogRun: (result: string) => void runs.push(result) };
    await runCodeLogJob({ seed: () => null, cronDir: dir, logger, metrics, tryLease: null }, NOW);
    const store = await SeedStore.open(`${dir}/data`, { logger: createMemoryLogger() });
    await store.replace(SEED);
    await Deno.writeTextFile(`${dir}/not-a-folder`, "");
    await runCodeLogJob({
      seed: () => store.seed,
      cronDir: `${dir}/not-a-folder`,
      logger,
      metrics,
      tryLease: null,
    }, NOW);
    assert.deepEqual(runs, ["skipped", "failed"]);
    const failed = logger.lines.map((l) => JSON.parse(l)).find((l) => l.level === "error");
    assert.equal(failed.msg, "The code log could not be written");
    assert.equal(failed.job, "code-log");
  });
});

Deno.test("runCodeLogJob(): a replica without a seed never takes the lease; a lease the store cannot grant still writes", async () => {
  await withTempDir(async (dir) => {
    const runs: string[] = [];
    const leases: string[] = [];
    const logger = createMemoryLogger();
    const metrics = { codeLogRun: (result: string) => void runs.push(result) };
    const tryLease = (name: string) => (leases.push(name), Promise.resolve(true));
    await runCodeLogJob({ seed: () => null, cronDir: dir, logger, metrics, tryLease }, NOW);
    assert.deepEqual([leases, runs], [[], ["skipped"]]);
    const store = await SeedStore.open(`${dir}/data`, { logger: createMemoryLogger() });
    await store.replace(SEED);
    await runCodeLogJob({
      seed: () => store.seed,
      cronDir: `${dir}/cron`,
      logger,
      metrics,
      tryLease: () => Promise.reject(new StateStoreUnavailableError()),
    }, NOW);
    assert.equal(await readLog(`${dir}/cron`), "2025-11-24 16:00:00 - 2FA Code: 557321\n");
    assert.deepEqual(runs, ["skipped", "written"]);
    assert.ok(logger.lines.some((l) => l.includes("The code log lease could not be taken")));
  });
});
