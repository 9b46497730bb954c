/**
 * What the benchmark needs and records about the machine: tools, CPU, versions, the
 * in-process crypto figures (`deno bench --json`) and OpenSSL's RSA-4096 speed.
 *
 * @module
 */
import { ROOT } from "./paths.ts";

async function output(cmd: string, args: string[]): Promise<string | null> {
  try {
    const result = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return result.success
      ? new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr)
      : null;
  } catch {
    return null;
  }
}

/** The tools and Python packages that are missing. */
export async function missingTools(): Promise<string[]> {
  const missing: string[] = [];
  if (
    await output("wrk", ["--version"]) === null && !(await output("sh", ["-c", "command -v wrk"]))
  ) missing.push("wrk");
  if (await output("openssl", ["version"]) === null) missing.push("openssl");
  const python = await output("/usr/bin/python3", [
    "-c",
    "import fastapi, uvicorn, pyotp, cryptography",
  ]);
  if (python === null) {
    missing.push("python3-fastapi python3-uvicorn python3-pyotp python3-cryptography");
  }
  return missing;
}

/**
 * Prints the reference stack's versions as one JSON line. Versions come from the installed
 * distributions' metadata (`importlib.metadata`), not from `__version__`: pyotp has no
 * `__version__`, and asking for it made the whole line fail, which left every version empty.
 */
export const PYTHON_VERSIONS: string = [
  "import json, sys",
  "from importlib.metadata import version",
  "names = ['fastapi', 'uvicorn', 'pyotp', 'cryptography']",
  "print(json.dumps({'python': sys.version.split()[0], **{n: version(n) for n in names}}))",
].join("\n");

/** The versions of the FastAPI reference's stack, by name. */
export interface PythonVersions {
  python: string;
  fastapi: string;
  uvicorn: string;
  pyotp: string;
  cryptography: string;
}

/**
 * Reads {@linkcode PYTHON_VERSIONS}' output (stdout, then stderr, as `output()` joins them):
 * the first line that is a JSON object. Throws when there is none or a version is missing,
 * so a header with empty versions can no longer be written.
 */
export function parsePythonVersions(text: string | null): PythonVersions {
  const line = (text ?? "").split("\n").find((l) => l.startsWith("{"));
  if (line === undefined) {
    throw new Error(`No versions from /usr/bin/python3: ${JSON.stringify(text)}`);
  }
  const parsed = JSON.parse(line) as Record<string, unknown>;
  const versions: Record<string, string> = {};
  for (const name of ["python", "fastapi", "uvicorn", "pyotp", "cryptography"]) {
    const value = parsed[name];
    if (typeof value !== "string" || value === "") {
      throw new Error(`No ${name} version from /usr/bin/python3: ${line}`);
    }
    versions[name] = value;
  }
  return versions as unknown as PythonVersions;
}

/** CPU, cores and versions. */
export async function machineInfo(): Promise<Record<string, string | number>> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/^model name\s*:\s*(.+)$/m)?.[1] ??
    "unknown";
  const python = parsePythonVersions(await output("/usr/bin/python3", ["-c", PYTHON_VERSIONS]));
  const wrk = (await output("sh", ["-c", "wrk --version 2>&1 | head -1"]))?.trim() ?? "";
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    os: Deno.build.os + " " + Deno.build.arch,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    hono: String(denoJson.imports.hono).replace("npm:hono@", ""),
    ...python,
    openssl: (await output("openssl", ["version"]))?.trim() ?? "",
    wrk,
  };
}

/** `deno bench --json` of bench/crypto_bench.ts: name → mean nanoseconds. */
export async function runCryptoBench(): Promise<Record<string, number>> {
  const result = await new Deno.Command(Deno.execPath(), {
    // deno.json excludes bench/ (the service's own checks), so without the dev config
    // `deno bench` finds no bench module and prints nothing.
    args: ["bench", "-A", "--config=deno.dev.json", "--json", "bench/crypto_bench.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(result.stdout);
  if (!result.success || text.trim() === "") {
    throw new Error(`deno bench bench/crypto_bench.ts failed (exit code ${result.code})`);
  }
  const json = JSON.parse(text);
  const figures: Record<string, number> = {};
  for (const bench of json.benches) {
    const ok = bench.results[0]?.ok;
    if (ok) figures[bench.name] = Math.round(ok.avg);
  }
  return figures;
}

/** `openssl speed -seconds 3 rsa4096`: private-key operations per second. */
export async function opensslRsa4096(): Promise<{ privateOpsPerSecond: number; msPerOp: number }> {
  return parseOpensslSpeed(await output("openssl", ["speed", "-seconds", "3", "rsa4096"]) ?? "");
}

/**
 * Reads the private-key (sign) operations per second from `openssl speed rsa4096`.
 * OpenSSL 3.0 prints `sign verify sign/s verify/s`; later versions add encrypt/decrypt.
 */
export function parseOpensslSpeed(text: string): { privateOpsPerSecond: number; msPerOp: number } {
  const header = text.split("\n").find((l) => /\bsign\/s\b/.test(l))?.trim().split(/\s+/) ?? [];
  const line = text.split("\n").find((l) => l.startsWith("rsa 4096 bits"));
  const values = line?.trim().split(/\s+/).slice(3) ?? [];
  const perSecond = Number(values[header.indexOf("sign/s")]);
  if (!Number.isFinite(perSecond) || perSecond <= 0) {
    throw new Error("No rsa 4096 line in openssl speed output");
  }
  return { privateOpsPerSecond: perSecond, msPerOp: Math.round(100_000 / perSecond) / 100 };
}
