/**
 * Composition root: configuration, the HTTP listener, keys, the audit log, the state and
 * seed stores, the app and the per-minute code log. The only module with side effects on
 * import.
 *
 * The listener opens right after the configuration is read and before anything on disk
 * is touched, so a busy port stops the start having changed nothing; until the app is
 * ready it answers 503. Every start-up failure is one log line that names the variable or
 * file and what to do, never a stack trace.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { type Config, ConfigError, loadConfig, readConfigEnv } from "./config.ts";
import { createLogger, type Logger } from "./observability/logger.ts";
import { stdoutSink } from "./observability/log_sink.ts";
import { createAuditLog } from "./observability/audit.ts";
import { prepareAuditChain } from "./store/audit_trail.ts";
import type { AuditSigningKey } from "./store/audit_signing_key.ts";
import { createMetrics } from "./observability/metrics.ts";
import { KeyFileError, loadServiceKeys, type ServiceKeys } from "./store/key_files.ts";
import { SeedStore } from "./store/seed_store.ts";
import { createSeedSealer } from "./store/seed_files.ts";
import { loadPreviousKeys, type PreviousKey } from "./store/keyring.ts";
import { auditKeyringChange } from "./store/keyring_history.ts";
import { KvStateStore } from "./store/kv_state_store.ts";
import { RedisStateStore } from "./store/redis_state_store.ts";
import type { StateStore } from "./store/state_store.ts";
import { SubjectStore } from "./store/subject_store.ts";
import type { SeedSource } from "./store/seed_source.ts";
import { SharedSeedStore } from "./store/shared_seed_store.ts";
import { DataDirLockedError, DataDirUnusableError, lockDataDir } from "./store/data_dir_lock.ts";
import { tightenModes } from "./store/file_modes.ts";
import { createApp } from "./app.ts";
import { publishedKeys } from "./routes/keys_routes.ts";
import { runCodeLogJob } from "./cron/code_log_job.ts";
import { listenErrorMessage, serveResilient } from "./middleware/serve_resilient.ts";

/** How long a SIGTERM waits for requests in flight before it closes them. */
const SHUTDOWN_GRACE_MS = 5_000;

/** Thrown by {@linkcode fail} to stop the start; never reported (see below). */
class StartAborted extends Error {
  override name = "StartAborted";
}
// fail() throws to stop the module where it stands (TypeScript then knows nothing after it
// runs), and exits once its line is out. These listeners keep the throw from being reported
// as an uncaught error with a stack trace, and the process alive for that wait.
for (const type of ["error", "unhandledrejection"] as const) {
  globalThis.addEventListener(type, (event) => {
    const thrown = "reason" in event ? event.reason : event.error;
    if (thrown instanceof StartAborted) event.preventDefault();
  });
}

/**
 * Logs `message` and ends the start with exit code 1. The line is written without blocking
 * and awaited at most 2 s: a stdout reader that reads nothing (a full pipe) must not hold
 * a failed start for ever. When stdout did not take it, the message goes to stderr.
 */
function fail(message: string): never {
  createLogger().error(message);
  // A stop asked for meanwhile must not cut the line off (and turn exit 1 into a kill).
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => {});
  void stdoutSink.flush(2_000).then(async (written) => {
    if (!written) await writeWithin(Deno.stderr, `${message}\n`, 500);
  }).finally(() => Deno.exit(1));
  throw new StartAborted(message);
}

/** Writes `text` to `output`, giving up after `withinMs`; failures are ignored. */
async function writeWithin(
  output: { write(bytes: Uint8Array): Promise<number> },
  text: string,
  withinMs: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    output.write(new TextEncoder().encode(text)).catch(() => {}),
    new Promise((resolve) => timer = setTimeout(resolve, withinMs)),
  ]);
  clearTimeout(timer);
}

/** What to do when AUDIT_LOG_FILE cannot be opened. */
function auditFileMessage(file: string, error: unknown): string {
  if (error instanceof Deno.errors.NotFound) {
    return `AUDIT_LOG_FILE "${file}": the folder "${dirname(file)}" does not exist; ` +
      "create it, or set AUDIT_LOG_FILE to a file in an existing folder";
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `AUDIT_LOG_FILE "${file}" cannot be written (permission denied); ` +
      "let the service's user write it, or choose another file";
  }
  return `AUDIT_LOG_FILE "${file}" cannot be opened: ${errorText(error)}`;
}

/** What to do when the state store cannot be opened; a Redis URL may hold a password. */
function stateStoreMessage(config: Config, file: string, error: unknown): string {
  if (config.stateStore === "redis") {
    const reason = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    return `Cannot open the redis state store (REDIS_URL): ${
      errorText(reason).replace(/\S*@\S*/g, "<url>")
    }`;
  }
  const text = errorText(error);
  const damaged = /not a database|malformed|corrupt/i.test(text)
    ? "; the file is damaged: restore it from a backup, or stop the service and move it away " +
      "to start with an empty store (replay marks, lockouts and the /v1 subjects are lost)"
    : "";
  return `Cannot open the state store "${file}" (DATA_DIR): ${text}${damaged}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

// Listen before touching any state; answer 503 until the app is ready.
let handler: Deno.ServeHandler = () =>
  Response.json({ error: "Service is starting" }, { status: 503, headers: { "retry-after": "1" } });
let server: ReturnType<typeof serveResilient>;
try {
  server = serveResilient((request, info) => handler(request, info), {
    hostname: config.host,
    port: config.port,
    logger,
  });
} catch (error) {
  fail(listenErrorMessage(error, config.host, config.port));
}

try {
  // Held until the process ends: a second instance on this folder stops here.
  await lockDataDir(config.dataDir);
} catch (error) {
  if (error instanceof DataDirLockedError || error instanceof DataDirUnusableError) {
    fail(error.message);
  }
  throw error;
}

let keys: ServiceKeys;
let previousKeys: PreviousKey[];
try {
  keys = await loadServiceKeys(config.keysDir, { logger });
  // Earlier keys of the keyring (KEYS_DIR/previous): decrypt-only, until retired.
  previousKeys = await loadPreviousKeys(config.keysDir, { logger, activeKid: keys.fingerprint });
} catch (error) {
  if (error instanceof KeyFileError) fail(error.message);
  throw error;
}
warnAboutWeakSettings(config, keys, logger);
const decryptionKeys = [keys.privateKey, ...previousKeys.map((key) => key.privateKey)];

let audit: ReturnType<typeof createAuditLog>;
let auditKey: AuditSigningKey | null = null;
try {
  let chain = null;
  if (config.auditLogFile !== null) {
    const prepared = await prepareAuditChain(config.auditLogFile, {
      dataDir: config.dataDir,
      signingKeyPath: config.auditSigningKey,
      logger,
    });
    chain = prepared.chain;
    auditKey = prepared.signingKey;
  }
  audit = createAuditLog({ file: config.auditLogFile, chain });
} catch (error) {
  if (error instanceof KeyFileError) fail(error.message);
  fail(auditFileMessage(config.auditLogFile!, error));
}

const seedStore = await SeedStore.open(config.dataDir, {
  logger,
  atRest: config.seedAtRest,
  sealer: createSeedSealer(decryptionKeys, keys.publicKey),
});
logger.info(seedStore.seed === null ? "No seed stored yet" : "Loaded the stored seed", {
  seedFile: seedStore.path,
});
const stateFile = join(config.dataDir, "state.kv");
let stateStore: StateStore;
try {
  stateStore = config.stateStore === "redis"
    ? await RedisStateStore.open(config.redisUrl!, { logger })
    : await KvStateStore.open(stateFile);
} catch (error) {
  fail(stateStoreMessage(config, stateFile, error));
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
// key.rotated and key.retired, once across replicas, when the keyring changed since last start.
await auditKeyringChange(stateStore, {
  active: keys.fingerprint,
  previous: previousKeys.map((key) => key.kid),
  now: Date.now(),
  audit,
  logger,
});
const subjects = await SubjectStore.open(stateStore, { ...keys, previous: previousKeys }, {
  logger,
  onRewrapped: (from, to) => audit.record("datakey.rewrapped", { kid: to, previousKid: from }),
});
// Opens the data key with the keyring and rewraps it to the active key when it was wrapped
// to an earlier one; reports (once) a data key no loaded key opens. Never stops the start.
await subjects.status().catch(() => {});
// Replicas share the assignment's seed through the state store; one process keeps its file.
let seedSource: SeedSource = seedStore;
let sharedSeed: SharedSeedStore | null = null;
if (config.stateStore === "redis") {
  try {
    seedSource = sharedSeed = await SharedSeedStore.open(seedStore, subjects, { logger });
  } catch (error) {
    fail(
      `Cannot read the shared seed from Redis (REDIS_URL): ${
        error instanceof Error ? error.message : "unknown error"
      }`,
    );
  }
}
const metrics = createMetrics({ seedLoaded: () => seedSource.seed !== null });

const app = createApp({
  privateKey: keys.privateKey,
  privateKeyOaepSha1: keys.privateKeyOaepSha1,
  decryptionKeys,
  publishedKeys: publishedKeys({ active: keys, previous: previousKeys, audit: auditKey }),
  serviceKeyFingerprint: keys.fingerprint,
  seedStore: seedSource,
  stateStoreKind: config.stateStore,
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
    allowedHosts: config.allowedHosts,
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
    seed: () => seedSource.seed,
    cronDir: config.cronDir,
    logger,
    metrics,
    // Replicas sharing one log volume: only the one that takes this minute's lease writes.
    tryLease: config.cronLease ? (name, ttlMs) => stateStore.tryLease(name, ttlMs) : null,
  }, Date.now()));

handler = app.fetch;
logger.info("Listening", { host: config.host, port: config.port });

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    // A second signal while the first one's stop runs (bounded: the grace period, the last
    // checkpoint, 2 s for stdout) changes nothing; closing twice threw a stack trace.
    if (stopping) return;
    stopping = true;
    logger.info("Shutting down", { signal });
    // A slow client must not hold the stop (docker compose down waits 10 s, then kills).
    if (!await server.shutdown(SHUTDOWN_GRACE_MS)) {
      logger.warn("Requests still open after the grace period were cut off", {
        graceMs: SHUTDOWN_GRACE_MS,
      });
    }
    sharedSeed?.close();
    stateStore.close();
    // The last checkpoint seals every line written so far.
    await audit.close();
    await stdoutSink.flush();
    Deno.exit(0);
  });
}
