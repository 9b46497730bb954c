/**
 * What every command-line tool shares: argument parsing with `node:util`'s `parseArgs`
 * (strict, so a typo is an error rather than ignored), output through an injectable
 * {@linkcode CliIo} so tests run the tools in-process, and one mapping from errors to
 * exit statuses: 0 success, 1 failure, 2 usage.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { publicKeyPemToSpki, rsaPublicNumbers } from "../crypto/rsa_keys.ts";

/** Where a tool writes, and what it may read from its environment. */
export interface CliIo {
  /** A line of requested output (standard output). */
  out(line: string): void;
  /** A line of progress, warning or error (standard error). */
  err(line: string): void;
  /** An environment variable. */
  env(name: string): string | undefined;
}

/** A mistake in the command line; the tool prints it with a pointer to `--help`. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure to report to the user as it is (no stack trace). */
export class CliError extends Error {
  override name = "CliError";
}

// C0 controls but tab and newline, DEL, C1 controls, and bidirectional formatting characters.
const UNSAFE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `line` with every control character escaped (`\x1b`, `\u202e`): the tools print text
 * from files and from the service's answers (key ids, reasons, errors), and a terminal
 * would otherwise obey escape sequences hidden in it (retitle the window, clear the
 * screen, hide a line). Newlines (multi-line help) and tabs stay as they are.
 */
export function terminalSafe(line: string): string {
  return line.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** The real terminal; every line goes through {@linkcode terminalSafe}. */
export function processIo(): CliIo {
  const encoder = new TextEncoder();
  return {
    out: (line) => Deno.stdout.writeSync(encoder.encode(terminalSafe(line) + "\n")),
    err: (line) => Deno.stderr.writeSync(encoder.encode(terminalSafe(line) + "\n")),
    env: (name) => Deno.env.get(name),
  };
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type HelpOption = { help: { type: "boolean"; short: "h" } };

/** What {@linkcode parseCli} returns: the option values, `help` included. */
export type ParsedCli<T extends Options> = ReturnType<
  typeof parseArgs<{
    args: string[];
    options: T & HelpOption;
    strict: true;
    allowPositionals: boolean;
  }>
>;

/** Options for {@linkcode parseCli}. */
export interface ParseCliOptions {
  /** How many positional arguments (such as a FILE) the tool takes, at most. @default {0} */
  positionals?: number;
}

/** Parses `args` strictly; `--help` is always accepted. */
export function parseCli<T extends Options>(
  args: string[],
  options: T,
  settings: ParseCliOptions = {},
): ParsedCli<T> {
  const help: HelpOption = { help: { type: "boolean", short: "h" } };
  const allowed = settings.positionals ?? 0;
  let parsed: ParsedCli<T>;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, ...help },
      strict: true,
      allowPositionals: allowed > 0,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.positionals.length > allowed) {
    throw new UsageError(`Unexpected argument "${parsed.positionals[allowed]}"`);
  }
  return parsed;
}

/** Runs a tool's body and turns its outcome into an exit status. */
export async function runTool(
  name: string,
  io: CliIo,
  body: () => Promise<void>,
): Promise<number> {
  try {
    await body();
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${name}: ${error.message}`);
      io.err(`Run "deno task ${name} --help" for usage.`);
      return 2;
    }
    if (error instanceof CliError || error instanceof RangeError || error instanceof TypeError) {
      io.err(`${name}: ${error.message}`);
      return 1;
    }
    io.err(`${name}: unexpected ${error instanceof Error ? error.name : "error"}`);
    return 1;
  }
}

/** Reads a text file, with an error that names it. */
export async function readTextFileOrFail(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CliError(`${what} "${path}" does not exist`);
    }
    throw new CliError(`Cannot read ${what.toLowerCase()} "${path}": ${(error as Error).message}`);
  }
}

/** Parses a positive number option, or fails with a usage error naming it. */
export function positiveNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) {
    throw new UsageError(`--${name} must be a non-negative number (got "${value}")`);
  }
  return number;
}

/** A public key read from a PEM file. */
export interface PublicKeyFile {
  /** The file's text, exactly as stored. */
  pem: string;
  spki: Uint8Array<ArrayBuffer>;
  bits: number;
}

/** Reads an RSA public key PEM (SPKI or PKCS#1), with errors that name the file. */
export async function readPublicKeyFile(path: string, what: string): Promise<PublicKeyFile> {
  const pem = await readTextFileOrFail(path, what);
  try {
    const spki = publicKeyPemToSpki(pem);
    return { pem, spki, bits: rsaPublicNumbers(spki).bits };
  } catch (error) {
    throw new CliError(`${what} "${path}" is not an RSA public key: ${(error as Error).message}`);
  }
}
