/**
 * The service's configuration, read from the environment in one place and validated
 * with zod at start. A bad value stops the service with one message naming every bad
 * variable, rather than failing later on the first request that needs it.
 *
 * @module
 */
import { z } from "zod";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "./observability/logger.ts";

/** The environment variables the service reads; `deno task start` allows exactly these. */
export const CONFIG_VARIABLES = [
  "PORT",
  "HOST",
  "DATA_DIR",
  "CRON_DIR",
  "KEYS_DIR",
  "LOG_LEVEL",
  "LOG_FORMAT",
  "ADMIN_TOKEN",
  "REPLAY_PROTECTION",
  "THROTTLE_MAX_FAILURES",
  "RATE_LIMIT_PER_MINUTE",
  "TRUST_PROXY",
  "REQUIRE_SEED_SIGNATURE",
  "SEED_AT_REST",
  "CORS_ORIGINS",
  "AUDIT_LOG_FILE",
  "METRICS_TOKEN",
  "VERIFY_TOKENS",
  "STATE_STORE",
  "REDIS_URL",
  "CRON_LEASE",
] as const;

/** Variables whose values are secrets: never echoed in an error. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  "ADMIN_TOKEN",
  "REDIS_URL",
  "METRICS_TOKEN",
  "VERIFY_TOKENS",
]);

/** The validated, frozen configuration. */
export interface Config {
  /** TCP port of the HTTP server. */
  readonly port: number;
  /** Address to bind. Not `HOSTNAME`, which shells and Docker set to the machine's name. */
  readonly host: string;
  /** Folder of the stored seed (`seed.txt`). */
  readonly dataDir: string;
  /** Folder of the per-minute code log (`last_code.txt`). */
  readonly cronDir: string;
  /** Folder of `student_private.pem`, `student_public.pem` and `instructor_public.pem`. */
  readonly keysDir: string;
  /** Lowest log level written. */
  readonly logLevel: LogLevel;
  /** One JSON object per line, or aligned text for a terminal. */
  readonly logFormat: LogFormat;
  /** Bearer token for changing the seed and reading codes; `null` leaves them open. */
  readonly adminToken: string | null;
  /** Refuse a second use of a code (RFC 6238 §5.2). */
  readonly replayProtection: boolean;
  /** Consecutive failed verifications before a lock; 0 turns throttling off. */
  readonly throttleMaxFailures: number;
  /** Requests per minute per client address; 0 turns rate limiting off. */
  readonly rateLimitPerMinute: number;
  /** Take the client address from X-Forwarded-For (only behind a proxy you control). */
  readonly trustProxy: boolean;
  /** Refuse seeds without a valid issuer signature. */
  readonly requireSeedSignature: boolean;
  /** How the seed is kept on disk. */
  readonly seedAtRest: "plain" | "sealed";
  /** Origins allowed by CORS; empty means no CORS headers at all. */
  readonly corsOrigins: readonly string[];
  /** A file that receives a copy of the audit log, or `null`. */
  readonly auditLogFile: string | null;
  /** Bearer token for /metrics; `null` leaves it open. */
  readonly metricsToken: string | null;
  /** Tokens that may verify and read metadata on /v1 (not change anything). */
  readonly verifyTokens: readonly string[];
  /** Where the security state lives: Deno KV in DATA_DIR (one process) or Redis (replicas). */
  readonly stateStore: "kv" | "redis";
  /** `redis://` URL when `stateStore` is `redis`, else `null`. */
  readonly redisUrl: string | null;
  /** Only one replica writes the code log each minute (a lease in the shared store). */
  readonly cronLease: boolean;
}

const path = z.string().min(1, "must not be empty");

const schema = z.object({
  PORT: z.coerce.number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(1, "must be between 1 and 65535")
    .max(65535, "must be between 1 and 65535")
    .default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: path.default("./data"),
  CRON_DIR: path.default("./cron-output"),
  KEYS_DIR: path.default("./keys"),
  LOG_LEVEL: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]], {
    error: `must be one of ${LOG_LEVELS.join(", ")}`,
  }).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty"], { error: "must be json or pretty" }).default("json"),
  ADMIN_TOKEN: token(),
  REPLAY_PROTECTION: flag(true),
  THROTTLE_MAX_FAILURES: count(5),
  RATE_LIMIT_PER_MINUTE: count(120),
  TRUST_PROXY: flag(false),
  REQUIRE_SEED_SIGNATURE: flag(false),
  SEED_AT_REST: z.enum(["plain", "sealed"], { error: "must be plain or sealed" }).default("plain"),
  CORS_ORIGINS: z.string().optional(),
  AUDIT_LOG_FILE: path.optional(),
  METRICS_TOKEN: token(),
  VERIFY_TOKENS: z.string()
    .transform((text) => text.split(",").map((t) => t.trim()).filter((t) => t !== ""))
    .pipe(z.array(
      z.string().min(16, "must be tokens of at least 16 characters, comma-separated")
        .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
    ))
    .optional(),
  STATE_STORE: z.enum(["kv", "redis"], { error: "must be kv or redis" }).default("kv"),
  REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, "must be a redis:// or rediss:// URL")
    .optional(),
  CRON_LEASE: flag(false),
}).superRefine((v, ctx) => {
  if (v.STATE_STORE === "redis" && v.REDIS_URL === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["REDIS_URL"],
      message: "is required when STATE_STORE=redis",
    });
  }
});

function token() {
  return z.string()
    .min(16, "must be at least 16 characters (use openssl rand -hex 32)")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional();
}

function flag(fallback: boolean) {
  return z.enum(["true", "false", "1", "0", "yes", "no"], {
    error: "must be true or false",
  }).transform((value) => ["true", "1", "yes"].includes(value)).default(fallback);
}

function count(fallback: number) {
  return z.coerce.number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(0, "must be 0 or more")
    .default(fallback);
}

/** The environment held bad values; the message names each of them. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The environment as the service sees it: only {@linkcode CONFIG_VARIABLES}. */
export type ConfigEnv = Partial<Record<(typeof CONFIG_VARIABLES)[number], string>>;

/**
 * Parses the environment. Empty strings count as unset, as Docker and `.env` files
 * often leave them.
 *
 * @throws {ConfigError} naming every bad variable and its value
 */
export function loadConfig(env: ConfigEnv): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const got = SECRET_VARIABLES.has(name) ? "" : ` (got ${JSON.stringify(cleaned[name])})`;
      return `${name} ${issue.message}${got}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  const v = result.data;
  return Object.freeze({
    port: v.PORT,
    host: v.HOST,
    dataDir: v.DATA_DIR,
    cronDir: v.CRON_DIR,
    keysDir: v.KEYS_DIR,
    logLevel: v.LOG_LEVEL,
    adminToken: v.ADMIN_TOKEN ?? null,
    replayProtection: v.REPLAY_PROTECTION,
    throttleMaxFailures: v.THROTTLE_MAX_FAILURES,
    rateLimitPerMinute: v.RATE_LIMIT_PER_MINUTE,
    trustProxy: v.TRUST_PROXY,
    requireSeedSignature: v.REQUIRE_SEED_SIGNATURE,
    seedAtRest: v.SEED_AT_REST,
    corsOrigins: Object.freeze(
      (v.CORS_ORIGINS ?? "").split(",").map((origin) => origin.trim()).filter((o) => o !== ""),
    ),
    auditLogFile: v.AUDIT_LOG_FILE ?? null,
    logFormat: v.LOG_FORMAT,
    metricsToken: v.METRICS_TOKEN ?? null,
    verifyTokens: Object.freeze(v.VERIFY_TOKENS ?? []),
    stateStore: v.STATE_STORE,
    redisUrl: v.REDIS_URL ?? null,
    cronLease: v.CRON_LEASE,
  });
}

/** Reads {@linkcode CONFIG_VARIABLES} from the process environment. */
export function readConfigEnv(): ConfigEnv {
  return Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, Deno.env.get(name)]));
}
