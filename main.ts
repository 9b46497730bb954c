/**
 * Composition root: configuration, keys, the seed and state stores, the app, the
 * per-minute code log and the HTTP server. The only module with side effects on import.
 *
 * @module
 */
import { join } from "node:path";
import { type Config, ConfigError, loadConfig, readConfigEnv } from "./config.ts";
import { createLogger, type Logger } from "./observability/logger.ts";
import { stdoutSink } from "./observability/log_sink.ts";
import { createAuditLog } from "./observability/audit.ts";
import { createMetrics } from "./observability/metrics.ts";
import { KeyFileError, loadServiceKeys, type ServiceKeys } from "./store/key_files.ts";
import { SeedStore } from "./store/seed_store.ts";
import { createSeedSealer } from "./store/seed_files.ts";
import { KvStateStore } from "./store/kv_state_store.ts";
import { RedisStateStore } from "./store/redis_state_store.ts";
import type { StateStore } from "./store/state_store.ts";
import { SubjectStore } from "./store/subject_store.ts";
import { DataDirLockedError, lockDataDir } from "./store/data_dir_lock.ts";
import { tightenModes } from "./store/file_modes.ts";
import { createApp } from "./app.ts";
import { runCodeLogJob } from "./cron/code_log_job.ts";

function fail(message: string): never {
  createLogger().error(message);
  stdoutSink.flush();
  Deno.exit(1);
}

/** Says, once at start, which protections are off and what that exposes. */
function warnAboutWeakSettings(config: Config, keys: ServiceKeys, logger: Logger): void {
  if (config.adminToken === null) {
    logger.warn(
      "ADMIN_TOKEN is not set: anyone who can reach the service can replace the seed and read codes",
    );
  }
  if (!config.replayProtection) {
    logger.warn("REPLAY_PROTECTION=false: a code can be used again within its 90-second window");
  }
  if (config.throttleMaxFailures === 0) {
    logger.warn(
      "THROTTLE_MAX_FAILURES=0: failed verifications are not limited; codes can be brute-forced",
    );
  }
  if (config.rateLimitPerMinute === 0) {
    logger.warn("RATE_LIMIT_PER_MINUTE=0: clients are not rate limited");
  }
  if (config.requireSeedSignature && keys.issuerSpki === null) {
    fail(
      `REQUIRE_SEED_SIGNATURE=true needs the issuer's public key at ${config.keysDir}/instructor_public.pem`,
    );
  }
}

let config: Config;
try {
  config = loadConfig(readConfigEnv());
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
const logger = createLogger({ level: config.logLevel, format: config.logFormat });
try {
  // Held until the process ends: a second instance on this folder stops here.
  await lockDataDir(config.dataDir);
} catch (error) {
  if (error instanceof DataDirLockedError) fail(error.message);
  throw error;
}

let keys: ServiceKeys;
try {
  keys = await loadServiceKeys(config.keysDir, { logger });
} catch (error) {
  if (error instanceof KeyFileError) fail(error.message);
  throw error;
}
warnAboutWeakSettings(config, keys, logger);

const seedStore = await SeedStore.open(config.dataDir, {
  logger,
  atRest: config.seedAtRest,
  sealer: createSeedSealer(keys.privateKey, keys.publicKey),
});
logger.info(seedStore.seed === null ? "No seed stored yet" : "Loaded the stored seed", {
  seedFile: seedStore.path,
});
let stateStore: StateStore;
try {
  stateStore = config.stateStore === "redis"
    ? await RedisStateStore.open(config.redisUrl!, { logger })
    : await KvStateStore.open(join(config.dataDir, "state.kv"));
} catch (error) {
  // The URL may hold a password: name the variable, not its value.
  const reason = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  fail(
    `Cannot open the ${config.stateStore} state store (REDIS_URL / DATA_DIR): ${
      reason instanceof Error ? reason.message.replace(/\S*@\S*/g, "<url>") : "unknown error"
    }`,
  );
}
logger.info("State store ready", { store: config.stateStore });
// The seed, lock, code log and audit files are created 0600; Deno KV creates state.kv with
// the umask (0644), and SQLite gives -wal and -shm the mode of state.kv. Made private here,
// before any secret is written to it, with whatever an older version left readable.
const tightened = await tightenModes({
  dirs: [config.dataDir, config.cronDir],
  files: config.auditLogFile === null ? [] : [config.auditLogFile],
}, { logger });
if (tightened.length > 0) logger.info("Made files private", { paths: tightened.join(", ") });
const subjects = await SubjectStore.open(stateStore, keys);
const audit = createAuditLog({ file: config.auditLogFile });
const metrics = createMetrics({ seedLoaded: () => seedStore.seed !== null });

const app = createApp({
  privateKey: keys.privateKey,
  seedStore,
  stateStore,
  subjects,
  logger,
  audit,
  metrics,
  paths: { dataDir: config.dataDir, cronDir: config.cronDir },
  security: {
    adminToken: config.adminToken,
    verifyPolicy: {
      replayProtection: config.replayProtection,
      maxFailures: config.throttleMaxFailures,
    },
    rateLimitPerMinute: config.rateLimitPerMinute,
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
    issuerSpki: keys.issuerSpki,
    requireSeedSignature: config.requireSeedSignature,
    metricsToken: config.metricsToken,
    verifyTokens: config.verifyTokens,
    exportEnabled: config.exportEnabled,
  },
});

// Registered at the top level, as Deno.cron requires; the schedule is in UTC.
Deno.cron("code-log", "* * * * *", () =>
  runCodeLogJob({
    seed: () => seedStore.seed,
    cronDir: config.cronDir,
    logger,
    metrics,
    // Replicas sharing one log volume: only the one that takes this minute's lease writes.
    tryLease: config.cronLease ? (name, ttlMs) => stateStore.tryLease(name, ttlMs) : null,
  }, Date.now()));

const server = Deno.serve({
  port: config.port,
  hostname: config.host,
  onListen: ({ hostname, port }) => logger.info("Listening", { host: hostname, port }),
}, app.fetch);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    logger.info("Shutting down", { signal });
    await server.shutdown();
    stateStore.close();
    audit.close();
    stdoutSink.flush();
    Deno.exit(0);
  });
}
