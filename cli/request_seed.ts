/**
 * `deno task request-seed`: asks the issuer (the instructor's API in the assignment)
 * for a seed encrypted to our public key, with a timeout, retries with backoff on
 * network errors and 5xx answers (never on 4xx), and a check that the answer is one
 * RSA block for our key before it is written.
 *
 * @module
 */
import { modulusBytes } from "../crypto/rsa_public_any_size.ts";
import {
  CliError,
  type CliIo,
  parseCli,
  positiveNumber,
  processIo,
  readPublicKeyFile,
  runTool,
  UsageError,
} from "./cli.ts";

const HELP = `Usage: deno task request-seed --student-id ID --repo URL [--api URL]
       [--public-key keys/student_public.pem] [--out encrypted_seed.txt]
       [--timeout 30] [--retries 3] [--retry-delay 1]

POSTs {"student_id", "github_repo_url", "public_key"} to the issuer and writes the
encrypted seed it returns to the output file (one line).

Options:
  --student-id ID     your student id
  --repo URL          your repository URL, exactly as you will submit it
  --api URL           the issuer's endpoint (default: $INSTRUCTOR_API_URL)
  --public-key PATH   the public key to send (default: keys/student_public.pem)
  --out PATH          output file (default: encrypted_seed.txt)
  --timeout S         seconds to wait for each attempt (default: 30)
  --retries N         further attempts after a network error or 5xx (default: 3)
  --retry-delay S     first backoff in seconds, doubled each retry (default: 1)
  -h, --help          this text`;

/** What the tool needs from the outside world, replaceable in tests. */
export interface RequestSeedDeps {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
}

const defaultDeps: RequestSeedDeps = {
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A failure worth another attempt (network error, timeout, 5xx). */
class RetryableError extends Error {}

/** Runs request-seed with `args`; returns the exit status. */
export function main(
  args: string[],
  io: CliIo = processIo(),
  deps: RequestSeedDeps = defaultDeps,
): Promise<number> {
  return runTool("request-seed", io, async () => {
    const { values } = parseCli(args, {
      "student-id": { type: "string" },
      repo: { type: "string" },
      api: { type: "string" },
      "public-key": { type: "string" },
      out: { type: "string" },
      timeout: { type: "string" },
      retries: { type: "string" },
      "retry-delay": { type: "string" },
    });
    if (values.help) return io.out(HELP);
    const studentId = values["student-id"];
    const repo = values.repo;
    if (!studentId) throw new UsageError("--student-id is required");
    if (!repo) throw new UsageError("--repo is required");
    const api = values.api ?? io.env("INSTRUCTOR_API_URL");
    if (!api) throw new UsageError("--api or the INSTRUCTOR_API_URL variable is required");
    if (!/^https?:\/\/[^\s]+$/.test(api)) {
      throw new UsageError(`--api must be an http(s) URL (got "${api}")`);
    }
    const timeoutMs = positiveNumber(values.timeout, "timeout", 30) * 1000;
    const retries = Math.floor(positiveNumber(values.retries, "retries", 3));
    const delayMs = positiveNumber(values["retry-delay"], "retry-delay", 1) * 1000;
    if (repo.endsWith(".git") || repo.endsWith("/")) {
      io.err(
        `warning: the repo URL ends in "${repo.endsWith("/") ? "/" : ".git"}"; the issuer ` +
          "compares it verbatim with the URL you submit, so use the same form in both places",
      );
    }
    const publicKey = await readPublicKeyFile(
      values["public-key"] ?? "keys/student_public.pem",
      "Public key",
    );
    const body = JSON.stringify({
      student_id: studentId,
      github_repo_url: repo,
      public_key: publicKey.pem,
    });

    let answer: unknown;
    for (let attempt = 0;; attempt++) {
      try {
        answer = await requestOnce(deps.fetch, api, body, timeoutMs);
        break;
      } catch (error) {
        if (!(error instanceof RetryableError) || attempt >= retries) {
          throw error instanceof RetryableError ? new CliError(error.message) : error;
        }
        const wait = delayMs * 2 ** attempt;
        io.err(`${error.message}; retrying in ${wait / 1000} s (${attempt + 1}/${retries})`);
        await deps.sleep(wait);
      }
    }
    const encrypted = checkAnswer(answer, modulusBytes(publicKey.bits), publicKey.bits);
    const out = values.out ?? "encrypted_seed.txt";
    await Deno.writeTextFile(out, encrypted + "\n", { mode: 0o644 });
    io.out(`Encrypted seed written to ${out}`);
  });
}

async function requestOnce(
  fetcher: typeof fetch,
  api: string,
  body: string,
  timeoutMs: number,
): Promise<unknown> {
  let status: number;
  let text: string;
  try {
    const response = await fetcher(api, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new RetryableError(`The issuer did not answer within ${timeoutMs / 1000} s`);
    }
    throw new RetryableError(`Could not reach the issuer at ${api}: ${(error as Error).message}`);
  }
  if (status >= 500) {
    throw new RetryableError(`The issuer answered HTTP ${status}${detail(text)}`);
  }
  if (status >= 400) {
    throw new CliError(`The issuer refused the request (HTTP ${status})${detail(text)}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`The issuer's answer is not JSON (HTTP ${status}): ${excerpt(text)}`);
  }
}

function checkAnswer(answer: unknown, blockBytes: number, bits: number): string {
  if (typeof answer !== "object" || answer === null || Array.isArray(answer)) {
    throw new CliError("The issuer's answer is not a JSON object");
  }
  const fields = answer as Record<string, unknown>;
  if (fields.status !== "success") {
    throw new CliError(
      `The issuer answered status ${JSON.stringify(fields.status ?? null)}${
        detail(JSON.stringify(answer))
      }`,
    );
  }
  const encrypted = fields.encrypted_seed;
  if (typeof encrypted !== "string" || encrypted.trim() === "") {
    throw new CliError('The issuer\'s answer has no "encrypted_seed" string');
  }
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(encrypted);
  } catch {
    throw new CliError('The issuer\'s "encrypted_seed" is not base64');
  }
  if (bytes.length !== blockBytes) {
    throw new CliError(
      `The issuer's "encrypted_seed" is ${bytes.length} bytes, not one RSA block of the ` +
        `${bits}-bit key (${blockBytes} bytes): was it encrypted to another key?`,
    );
  }
  return encrypted.replace(/\s+/g, "");
}

/** The issuer's own error message, when its answer has one. */
function detail(text: string): string {
  try {
    const parsed = JSON.parse(text);
    const message = parsed?.error ?? parsed?.message ?? parsed?.detail;
    if (typeof message === "string") return `: ${excerpt(message)}`;
  } catch {
    // not JSON
  }
  return text.trim() === "" ? "" : `: ${excerpt(text)}`;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
