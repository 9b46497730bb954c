/**
 * Composition root: configuration, keys, the seed store, the app, the per-minute code
 * log and the HTTP server. The only module with side effects on import.
 *
 * @module
 */
import { ConfigError, loadConfig, readConfigEnv } from "./config.ts";
import { createLogger } from "./logger.ts";
import { KeyFileError, loadServiceKeys } from "./store/key_files.ts";
import { SeedStore } from "./store/seed_store.ts";
import { createApp } from "./app.ts";
import { writeCodeLog } from "./cron/code_log.ts";

function fail(message: string): never {
  createLogger().error(message);
  Deno.exit(1);
}

let config;
try {
  config = loadConfig(readConfigEnv());
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
const logger = createLogger({ level: config.logLevel });

let keys;
try {
  keys = await loadServiceKeys(config.keysDir, { logger });
} catch (error) {
  if (error instanceof KeyFileError) fail(error.message);
  throw error;
}
const seedStore = await SeedStore.open(config.dataDir, { logger });
logger.info(seedStore.seed === null ? "No seed stored yet" : "Loaded the stored seed", {
  seedFile: seedStore.path,
});

const app = createApp({ privateKey: keys.privateKey, seedStore, logger });

// Registered at the top level, as Deno.cron requires; the schedule is in UTC.
Deno.cron("code-log", "* * * * *", async () => {
  try {
    await writeCodeLog({ seed: () => seedStore.seed, cronDir: config.cronDir, logger }, Date.now());
  } catch (error) {
    logger.error("The code log could not be written", {
      job: "code-log",
      error: error instanceof Error ? error.name : "unknown",
    });
  }
});

const server = Deno.serve({
  port: config.port,
  hostname: config.host,
  onListen: ({ hostname, port }) => logger.info("Listening", { host: hostname, port }),
}, app.fetch);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    logger.info("Shutting down", { signal });
    await server.shutdown();
    Deno.exit(0);
  });
}
