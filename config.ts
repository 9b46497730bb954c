/**
 * The service's configuration, read from the environment in one place and validated
 * with zod at start. A bad value stops the service with one message naming every bad
 * variable, rather than failing later on the first request that needs it.
 *
 * @module
 */
import { z } from "zod";
import { LOG_LEVELS, type LogLevel } from "./logger.ts";

/** The environment variables the service reads; `deno task start` allows exactly these. */
export const CONFIG_VARIABLES = [
  "PORT",
  "HOST",
  "DATA_DIR",
  "CRON_DIR",
  "KEYS_DIR",
  "LOG_LEVEL",
] as const;

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
});

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
      return `${name} ${issue.message} (got ${JSON.stringify(cleaned[name])})`;
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
  });
}

/** Reads {@linkcode CONFIG_VARIABLES} from the process environment. */
export function readConfigEnv(): ConfigEnv {
  return Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, Deno.env.get(name)]));
}
