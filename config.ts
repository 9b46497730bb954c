/**
 * The service's configuration, read from the environment in one place and validated
 * with zod at start. A bad value stops the service with one message naming every bad
 * variable, rather than failing later on the first request that needs it.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "./observability/logger.ts";

/** One environment variable: how to parse it, its default, and what it is for. */
export interface ConfigVariableSpec {
  /** Parses the value (the default, when the variable is unset). */
  readonly schema: z.ZodType;
  /** The default as the environment would give it; absent: unset. */
  readonly default?: string;
  /** What it does, for docs/configuration.md and .env.example (Markdown, sentence case). */
  readonly description: string;
  /** A value shown, commented out, in .env.example for a variable with no default. */
  readonly example?: string;
  /** A secret: never echoed in an error. */
  readonly secret?: boolean;
  /** The section of the documentation and of .env.example it belongs to. */
  readonly group: "Service" | "Security" | "Replicas";
}

/**
 * Every environment variable the service reads, in one table: `loadConfig()` parses with its
 * schemas and defaults, `deno task start` allows exactly these names (a test checks), and
 * docs/configuration.md and .env.example are generated from it (`deno task docs`; a test
 * fails while they are stale). A variable cannot be added here without a description.
 */
export const CONFIG_SPEC = {
  PORT: {
    schema: z.coerce.number({ error: "must be a whole number" })
      .int("must be a whole number")
      .min(1, "must be between 1 and 65535")
      .max(65535, "must be between 1 and 65535"),
    default: "8080",
    description: "TCP port of the HTTP server.",
    group: "Service",
  },
  HOST: {
    schema: z.string().min(1),
    default: "0.0.0.0",
    description: "Address to bind. Deliberately not `HOSTNAME`, which shells and Docker set to " +
      "the machine's name.",
    group: "Service",
  },
  DATA_DIR: {
    schema: path(),
    default: "./data",
    description: "Folder of the stored seed (`seed.txt`, or `seed.enc` when sealed) and of " +
      "`state.kv`.",
    group: "Service",
  },
  CRON_DIR: {
    schema: path(),
    default: "./cron-output",
    description: "Folder of the per-minute code log, `last_code.txt`. The container uses `/cron`.",
    group: "Service",
  },
  KEYS_DIR: {
    schema: path(),
    default: "./keys",
    description: "Folder of `student_private.pem` and `student_public.pem` (generated on first " +
      "start when missing), of the optional `instructor_public.pem`, and of `previous/<kid>.pem`, " +
      "earlier keys kept decrypt-only by `deno task rotate-key`.",
    group: "Service",
  },
  LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]], {
      error: `must be one of ${LOG_LEVELS.join(", ")}`,
    }),
    default: "info",
    description: "Lowest log level written: `debug`, `info`, `warn` or `error`.",
    group: "Service",
  },
  LOG_FORMAT: {
    schema: z.enum(["json", "pretty"], { error: "must be json or pretty" }),
    default: "json",
    description: "`json` (one object per line) or `pretty` (aligned text for a terminal).",
    group: "Service",
  },
  ADMIN_TOKEN: {
    schema: token(),
    description: "Bearer token (16+ printable characters; `openssl rand -hex 32`) for " +
      "`POST /decrypt-seed`, `GET /generate-2fa` and all of `/v1`, and the sign-in of the admin " +
      "console at `/admin`. Unset leaves the first two open (with a warning at start), closes " +
      "`/v1` (503) and turns the console off (404).",
    secret: true,
    group: "Security",
  },
  VERIFY_TOKENS: {
    schema: z.string()
      .transform((text) => text.split(",").map((t) => t.trim()).filter((t) => t !== ""))
      .pipe(z.array(
        z.string().min(16, "must be tokens of at least 16 characters, comma-separated")
          .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
      ))
      .optional(),
    description: "Comma-separated tokens (16+ characters each) that may verify and read " +
      "metadata on `/v1`, and nothing else.",
    secret: true,
    group: "Security",
  },
  REPLAY_PROTECTION: {
    schema: flag(),
    default: "true",
    description: "Accept each code once (RFC 6238 §5.2). `false` lets a code be used again " +
      "within its window (a warning at start).",
    group: "Security",
  },
  THROTTLE_MAX_FAILURES: {
    schema: count(),
    default: "5",
    description: "Consecutive failed verifications before a lock (30 s, doubling, up to " +
      "15 min); `0` turns throttling off (a warning at start).",
    group: "Security",
  },
  RATE_LIMIT_PER_MINUTE: {
    schema: count(),
    default: "120",
    description: "Requests a minute per client address, on every endpoint; `0` turns the " +
      "limit off (a warning at start).",
    group: "Security",
  },
  TRUST_PROXY: {
    schema: flag(),
    default: "false",
    description: "Take the client address from the last `X-Forwarded-For` entry, and TLS from " +
      "`X-Forwarded-Proto: https` (the admin console's cookies are then `Secure`): only behind " +
      "a reverse proxy you run.",
    group: "Security",
  },
  REQUIRE_SEED_SIGNATURE: {
    schema: flag(),
    default: "false",
    description: "Refuse seeds without a valid issuer signature (needs " +
      "`KEYS_DIR/instructor_public.pem`).",
    group: "Security",
  },
  SEED_AT_REST: {
    schema: z.enum(["plain", "sealed"], { error: "must be plain or sealed" }),
    default: "plain",
    description: "`plain` (`DATA_DIR/seed.txt`, which graders read) or `sealed` " +
      "(`DATA_DIR/seed.enc`, the ciphertext only; the seed lives only in memory).",
    group: "Security",
  },
  CORS_ORIGINS: {
    schema: z.string().optional(),
    description: "Comma-separated origins allowed by CORS; unset sends no CORS headers. With " +
      "`ALLOWED_HOSTS`, list there the name those pages call the service by.",
    example: "https://app.example.com",
    group: "Security",
  },
  ALLOWED_HOSTS: {
    schema: z.string().refine(
      (value) => value.split(",").every((name) => HOST_NAME.test(name.trim())),
      "must be host names separated by commas (letters, digits and hyphens in dot-separated " +
        "labels; an internationalised name in its xn-- form), without ports or schemes",
    ).optional(),
    description: "Comma-separated host names the service is reached by (DNS rebinding defence): " +
      "a request to any other name gets 421. IP literals and `localhost` are always allowed. " +
      "Unset, only browsers' same-origin requests to other names are refused (a heuristic: " +
      "set it in production). Behind a proxy, pass `Host` through and set `X-Forwarded-Host`.",
    example: "auth.example.com,pki-2fa",
    group: "Security",
  },
  AUDIT_LOG_FILE: {
    schema: path().optional(),
    description: "A file that also receives the audit log (JSON lines, mode 0600).",
    example: "./data/audit.jsonl",
    group: "Security",
  },
  AUDIT_SIGNING_KEY: {
    schema: path().optional(),
    description: "Ed25519 private key (PKCS#8 PEM) that signs the audit file's checkpoints; " +
      "unset: `DATA_DIR/audit_signing.pem`, created (mode 0600) on the first start with " +
      '`AUDIT_LOG_FILE`. Its public key is in `GET /v1/keys` (`"use": "audit"`).',
    example: "./data/audit_signing.pem",
    group: "Security",
  },
  METRICS_TOKEN: {
    schema: token(),
    description: "Bearer token (16+ characters) for `GET /metrics`; unset leaves it open.",
    secret: true,
    group: "Security",
  },
  EXPORT_ENABLED: {
    schema: flag(),
    default: "false",
    description: "Allow `POST /v1/subjects/{id}/export`, which sends a subject's seed " +
      "RSA-OAEP encrypted to a recipient's public key (for migrating away). Off: 403.",
    group: "Security",
  },
  STATE_STORE: {
    schema: z.enum(["kv", "redis"], { error: "must be kv or redis" }),
    default: "kv",
    description: "`kv` (Deno KV at `DATA_DIR/state.kv`, one process) or `redis` (shared by " +
      "replicas).",
    group: "Replicas",
  },
  REDIS_URL: {
    schema: z.string().regex(/^rediss?:\/\/\S+$/, "must be a redis:// or rediss:// URL")
      .optional(),
    description: "`redis://` or `rediss://` URL of the shared store; required with " +
      "`STATE_STORE=redis`.",
    example: "redis://127.0.0.1:6379/0",
    secret: true,
    group: "Replicas",
  },
  CRON_LEASE: {
    schema: flag(),
    default: "false",
    description: "Only one replica writes the code log each minute: the one that takes the " +
      "minute's lease in the shared store (for replicas sharing one log volume).",
    group: "Replicas",
  },
} as const satisfies Record<string, ConfigVariableSpec>;

/** The name of a variable the service reads. */
export type ConfigVariable = keyof typeof CONFIG_SPEC;

/** The environment variables the service reads; `deno task start` allows exactly these. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.freeze(
  Object.keys(CONFIG_SPEC) as ConfigVariable[],
);

/**
 * The validated, frozen configuration. Each field comes from the variable named beside it,
 * described in {@linkcode CONFIG_SPEC}; unset optional values are `null` or empty.
 */
export interface Config {
  readonly port: number; // PORT
  readonly host: string; // HOST
  readonly dataDir: string; // DATA_DIR
  readonly cronDir: string; // CRON_DIR
  readonly keysDir: string; // KEYS_DIR
  readonly logLevel: LogLevel; // LOG_LEVEL
  readonly logFormat: LogFormat; // LOG_FORMAT
  readonly adminToken: string | null; // ADMIN_TOKEN
  readonly replayProtection: boolean; // REPLAY_PROTECTION
  readonly throttleMaxFailures: number; // THROTTLE_MAX_FAILURES
  readonly rateLimitPerMinute: number; // RATE_LIMIT_PER_MINUTE
  readonly trustProxy: boolean; // TRUST_PROXY
  readonly requireSeedSignature: boolean; // REQUIRE_SEED_SIGNATURE
  readonly seedAtRest: "plain" | "sealed"; // SEED_AT_REST
  readonly corsOrigins: readonly string[]; // CORS_ORIGINS
  readonly allowedHosts: readonly string[] | null; // ALLOWED_HOSTS
  readonly auditLogFile: string | null; // AUDIT_LOG_FILE
  readonly auditSigningKey: string; // AUDIT_SIGNING_KEY (default: DATA_DIR/audit_signing.pem)
  readonly metricsToken: string | null; // METRICS_TOKEN
  readonly verifyTokens: readonly string[]; // VERIFY_TOKENS
  readonly exportEnabled: boolean; // EXPORT_ENABLED
  readonly stateStore: "kv" | "redis"; // STATE_STORE
  readonly redisUrl: string | null; // REDIS_URL
  readonly cronLease: boolean; // CRON_LEASE
}

/** A DNS name: labels of letters, digits and inner hyphens, at most 253 characters. */
const HOST_NAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

function path() {
  return z.string().min(1, "must not be empty");
}

function token() {
  return z.string()
    .min(16, "must be at least 16 characters (use openssl rand -hex 32)")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional();
}

function flag() {
  return z.enum(["true", "false", "1", "0", "yes", "no"], {
    error: "must be true or false",
  }).transform((value) => ["true", "1", "yes"].includes(value));
}

function count() {
  return z.coerce.number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(0, "must be 0 or more");
}

type Schemas = { [K in ConfigVariable]: (typeof CONFIG_SPEC)[K]["schema"] };

const schema = z.object(
  Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, CONFIG_SPEC[name].schema])) as Schemas,
).superRefine((v, ctx) => {
  if (v.STATE_STORE === "redis" && v.REDIS_URL === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["REDIS_URL"],
      message: "is required when STATE_STORE=redis",
    });
  }
});

const SPECS: Readonly<Record<string, ConfigVariableSpec>> = CONFIG_SPEC;

/** The table's defaults, as the environment would give them. */
const DEFAULTS: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(
  Object.entries(SPECS).flatMap(([name, spec]) =>
    spec.default === undefined ? [] : [[name, spec.default]]
  ),
));

/** The environment held bad values; the message names each of them. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The environment as the service sees it: only {@linkcode CONFIG_VARIABLES}. */
export type ConfigEnv = Partial<Record<ConfigVariable, string>>;

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
  const result = schema.safeParse({ ...DEFAULTS, ...cleaned });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const got = SPECS[name]?.secret ? "" : ` (got ${JSON.stringify(cleaned[name])})`;
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
    allowedHosts: v.ALLOWED_HOSTS === undefined ? null : Object.freeze(
      v.ALLOWED_HOSTS.split(",").map((host) => host.trim().toLowerCase().replace(/\.$/, "")),
    ),
    auditLogFile: v.AUDIT_LOG_FILE ?? null,
    auditSigningKey: v.AUDIT_SIGNING_KEY ?? join(v.DATA_DIR, "audit_signing.pem"),
    logFormat: v.LOG_FORMAT,
    metricsToken: v.METRICS_TOKEN ?? null,
    verifyTokens: Object.freeze(v.VERIFY_TOKENS ?? []),
    exportEnabled: v.EXPORT_ENABLED,
    stateStore: v.STATE_STORE,
    redisUrl: v.REDIS_URL ?? null,
    cronLease: v.CRON_LEASE,
  });
}

/** Reads {@linkcode CONFIG_VARIABLES} from the process environment. */
export function readConfigEnv(): ConfigEnv {
  return Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, Deno.env.get(name)]));
}
