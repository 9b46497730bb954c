/**
 * Runs external tools (openssl, oathtool) from tests. A missing tool fails the test
 * with the package to install rather than skipping it: a skipped interop test proves
 * nothing.
 *
 * @module
 */

/** Options for {@linkcode run}. */
export interface RunOptions {
  /** Bytes written to the tool's standard input. */
  stdin?: Uint8Array | string;
  /** Environment variables added to the tool's environment. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/** The outcome of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  bytes: Uint8Array;
}

const PACKAGES: Record<string, string> = {
  openssl: "openssl",
  oathtool: "oathtool",
  "rsvg-convert": "librsvg2-bin",
  zbarimg: "zbar-tools",
  "docker-compose": "docker-compose",
  "redis-server": "redis-server",
  "redis-cli": "redis-tools",
  chromium: "chromium",
  podman: "podman",
  curl: "curl",
  wrk: "wrk",
};

/** Runs a command to completion and returns its exit code and output. */
export async function run(
  cmd: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  let child;
  try {
    child = new Deno.Command(cmd, {
      args,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`"${cmd}" is not installed: apt-get install -y ${PACKAGES[cmd] ?? cmd}`);
    }
    throw error;
  }
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    bytes: output.stdout,
  };
}

/** Runs a command and returns its standard output, failing on a non-zero exit. */
export async function runOk(
  cmd: string,
  args: string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await run(cmd, args, options);
  if (result.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  }
  return result.stdout;
}
