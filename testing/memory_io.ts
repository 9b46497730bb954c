import type { CliIo } from "../cli/cli.ts";

/** A {@linkcode CliIo} that records lines, for running tools in-process. */
export function memoryIo(
  env: Record<string, string> = {},
): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return {
    outLines,
    errLines,
    out: (line) => void outLines.push(line),
    err: (line) => void errLines.push(line),
    env: (name) => env[name],
  };
}
