/**
 * A logger that keeps its lines in memory, so tests can assert what was (and was not)
 * logged.
 *
 * @module
 */
import { createLogger, type Logger, type LogLevel } from "../observability/logger.ts";

/** A logger that keeps its lines in memory, for tests. */
export function createMemoryLogger(level: LogLevel = "debug"): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, ...createLogger({ level, write: (line) => lines.push(line) }) };
}
