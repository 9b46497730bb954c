/**
 * Structured logs: one JSON object per line, so operators can search them. Callers pass
 * only non-secret fields; seeds, codes, tokens, ciphertexts and key material are never
 * handed to a logger, which is why it has no redaction of its own to rely on.
 *
 * @module
 */

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** The levels in order, for configuration and filtering. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** One JSON object per line (for log stores), or aligned text (for a terminal). */
export type LogFormat = "json" | "pretty";

/** Extra fields of a log line. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** A logger bound to a level and an output. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. @default {"info"} */
  level?: LogLevel;
  /** Where each line goes. @default {standard output, batched per event-loop turn} */
  write?: (line: string) => void;
  /** Clock, in milliseconds. @default {Date.now} */
  now?: () => number;
  /** Line format. @default {"json"} */
  format?: LogFormat;
}

import { stdoutSink } from "./log_sink.ts";
import { isoTime } from "./iso_time.ts";
import { appendFields, overridesAny } from "./json_line.ts";

/** The members every JSON line starts with. */
const LEADING = ["time", "level", "msg"];

/** Creates a JSON-lines logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? stdoutSink;
  const now = options.now ?? Date.now;
  function log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const time = isoTime(now());
    if (options.format === "pretty") {
      const rest = Object.entries(fields).filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === "string" && /\s|"/.test(v) ? JSON.stringify(v) : v}`);
      write([time, level.toUpperCase().padEnd(5), message, ...rest].join(" "));
      return;
    }
    write(
      overridesAny(fields, LEADING)
        ? JSON.stringify({ time, level, msg: message, ...fields })
        : appendFields(
          `{"time":"${time}","level":"${level}","msg":${JSON.stringify(message)}`,
          fields,
        ),
    );
  }
  return {
    debug: (message, fields) => log("debug", message, fields),
    info: (message, fields) => log("info", message, fields),
    warn: (message, fields) => log("warn", message, fields),
    error: (message, fields) => log("error", message, fields),
  };
}
