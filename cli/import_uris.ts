/**
 * `deno task import-uris FILE --url URL`: moves existing authenticator accounts into the
 * service. FILE holds otpauth:// URIs or Google Authenticator exports; each account's secret
 * is encrypted to the service's public key on this machine and sent with
 * `PUT /v1/subjects/{id}/seed`, so no secret crosses the wire in the clear. The table it
 * prints never holds a secret, and it exits 0 only if every account was imported.
 *
 * @module
 */
import { otpauthUri } from "../crypto/otpauth_uri.ts";
import { type OtpauthCredential, RECOMMENDED_SECRET_BYTES } from "../crypto/parse_otpauth_uri.ts";
import { encryptOaepAnySize, oaepCapacity } from "../crypto/rsa_public_any_size.ts";
import {
  CliError,
  type CliIo,
  parseCli,
  processIo,
  readTextFileOrFail,
  runTool,
  UsageError,
} from "./cli.ts";
import { readImportEntries } from "./import_entries.ts";
import { serviceKey } from "./service_key.ts";
import { REAL_SEND_DEPS, type SendDeps, sendPolitely } from "./send_politely.ts";
import { labelOf, SUBJECT_ID_CHARACTERS, SubjectIds } from "./subject_ids.ts";
import { formatTable } from "./text_table.ts";

const HELP = `Usage: deno task import-uris FILE --url URL [--public-key PATH]
       [--prefix P] [--replace]
       deno task import-uris FILE --dry-run [--prefix P]

Imports TOTP and HOTP accounts into the service's /v1 subjects. FILE holds one
otpauth://totp/ or otpauth://hotp/ (with counter=) URI per line, or Google Authenticator
exports (otpauth-migration://offline?data=..., the QR codes of "Transfer accounts",
decoded to text); HOTP accounts become HOTP subjects with their counter. Blank lines and lines starting with # are
skipped. Each secret is RSA-OAEP encrypted to the service's public key and sent with
PUT /v1/subjects/{id}/seed; the subject id is the account's label (Issuer:account) in
the id alphabet. Waits when the service's rate limit answers 429. Prints a table,
never a secret; exits 0 only if every account was imported. The admin token is read
from the ADMIN_TOKEN environment variable.

Options:
  --url URL          the service, e.g. http://localhost:8080 (not needed with --dry-run)
  --public-key PATH  the service's public key (default: the active seed-encryption key
                     the service publishes at GET /v1/keys)
  --prefix P         put P before every subject id (letters, digits and ._@-)
  --replace          replace subjects that already exist (default: leave them, reported)
  --dry-run          read and check FILE and show the ids; send nothing
  -h, --help         this text`;

/** Where the service is and how to reach it. */
interface Target {
  url: string;
  token: string;
  spki: Uint8Array<ArrayBuffer>;
  bits: number;
  replace: boolean;
  /** Sends a request, waiting out the service's rate limit (429 with Retry-After). */
  send: (url: string, init: RequestInit) => Promise<Response>;
}

/** Runs import-uris with `args`; returns the exit status. */
export function main(
  args: string[],
  io: CliIo = processIo(),
  deps: SendDeps = REAL_SEND_DEPS,
): Promise<number> {
  return runTool("import-uris", io, async () => {
    const { values, positionals } = parseCli(args, {
      url: { type: "string" },
      "public-key": { type: "string" },
      prefix: { type: "string" },
      replace: { type: "boolean" },
      "dry-run": { type: "boolean" },
    }, { positionals: 1 });
    if (values.help) return io.out(HELP);
    const file = positionals[0];
    if (file === undefined) throw new UsageError("FILE is required");
    const prefix = values.prefix ?? "";
    if (!SUBJECT_ID_CHARACTERS.test(prefix) || prefix.length > 64 || prefix.startsWith("_")) {
      throw new UsageError(
        "--prefix may hold only letters, digits and ._@- (at most 64, not starting with _)",
      );
    }
    const dryRun = values["dry-run"] ?? false;
    let target: Target | null = null;
    if (!dryRun) {
      const url = values.url;
      if (!url) throw new UsageError("--url is required (or --dry-run)");
      if (!/^https?:\/\/[^\s/]+/.test(url)) {
        throw new UsageError(`--url must be an http(s) URL (got "${url}")`);
      }
      const token = io.env("ADMIN_TOKEN");
      if (!token) throw new UsageError("Set ADMIN_TOKEN to the service's admin token");
      const base = url.replace(/\/+$/, "");
      const key = await serviceKey(base, {
        path: values["public-key"],
        fetch: (input, init) => sendPolitely(deps, io, String(input), init ?? {}),
      });
      io.err(`Encrypting to key ${key.kid} (${key.source})`);
      target = {
        url: base,
        token,
        spki: key.spki,
        bits: key.bits,
        replace: values.replace ?? false,
        send: (url, init) => sendPolitely(deps, io, url, init),
      };
    }

    const entries = readImportEntries(await readTextFileOrFail(file, "File"));
    if (entries.length === 0) throw new CliError(`"${file}" holds no otpauth URI`);
    const ids = new SubjectIds(prefix);
    const rows: string[][] = [];
    let imported = 0;
    for (const entry of entries) {
      const { credential } = entry;
      const taken = credential === null ? null : ids.take(labelOf(credential), entry.source);
      const id = taken?.id ?? null;
      let result: { ok: boolean; text: string };
      if (credential === null || id === null) {
        result = { ok: false, text: entry.problem ?? taken?.problem ?? "Refused" };
      } else if (target === null) {
        result = { ok: true, text: "ok (dry run)" };
      } else {
        result = await importOne(target, id, credential);
      }
      if (result.ok && credential !== null && credential.secret.length < RECOMMENDED_SECRET_BYTES) {
        result.text += ` (${credential.secret.length * 8}-bit secret, under RFC 4226's 128)`;
      }
      if (result.ok) imported++;
      const hotp = credential?.type === "hotp";
      rows.push([
        entry.source,
        id ?? "-",
        credential?.type ?? "-",
        credential?.algorithm ?? "-",
        String(credential?.digits ?? "-"),
        hotp ? "-" : String(credential?.period ?? "-"),
        hotp ? String(credential.counter) : "-",
        result.text,
      ]);
      credential?.secret.fill(0);
    }
    for (
      const line of formatTable(
        ["LINE", "ID", "TYPE", "ALGORITHM", "DIGITS", "PERIOD", "COUNTER", "RESULT"],
        rows,
      )
    ) {
      io.out(line);
    }
    io.out(
      `${imported} of ${entries.length} accounts ${dryRun ? "would be imported" : "imported"}`,
    );
    if (imported < entries.length) {
      const not = dryRun ? "would not be imported" : "not imported";
      throw new CliError(`${entries.length - imported} of ${entries.length} accounts ${not}`);
    }
  });
}

/** Sends one account; the result text is for the table (never a secret). */
async function importOne(
  target: Target,
  id: string,
  credential: OtpauthCredential,
): Promise<{ ok: boolean; text: string }> {
  const subject = `${target.url}/v1/subjects/${encodeURIComponent(id)}`;
  const headers = {
    authorization: `Bearer ${target.token}`,
    "content-type": "application/json",
  };
  try {
    if (!target.replace) {
      const existing = await target.send(subject, { headers });
      if (existing.status !== 200 && existing.status !== 404) {
        return { ok: false, text: await failure(existing) };
      }
      await existing.body?.cancel();
      if (existing.status === 200) {
        return { ok: false, text: "Exists; left alone (use --replace)" };
      }
    }
    const response = await target.send(`${subject}/seed`, {
      method: "PUT",
      headers,
      body: JSON.stringify(await seedBody(target, credential)),
    });
    if (response.status === 201 || response.status === 200) {
      await response.body?.cancel();
      return { ok: true, text: response.status === 201 ? "created" : "replaced" };
    }
    return { ok: false, text: await failure(response) };
  } catch (error) {
    const reason = error instanceof Error ? error.name : "error";
    return { ok: false, text: `Failed: cannot reach ${target.url} (${reason})` };
  }
}

/**
 * The request body: a TOTP account's whole otpauth URI encrypted when it fits one RSA block
 * (its parameters then travel sealed with the secret), else the hex secret with the
 * parameters in the body. HOTP accounts always take the second form, with `"type": "hotp"`
 * and the counter as a decimal string (exact beyond 2^53): the service reads only TOTP
 * URIs as plaintexts.
 */
async function seedBody(target: Target, c: OtpauthCredential): Promise<Record<string, unknown>> {
  const encoder = new TextEncoder();
  const uri = encoder.encode(otpauthUri(c));
  try {
    if (c.type === "totp" && uri.length <= oaepCapacity(target.bits)) {
      return { encrypted_seed: (await encryptOaepAnySize(target.spki, uri)).toBase64() };
    }
    const hex = encoder.encode(c.secret.toHex());
    const encrypted = await encryptOaepAnySize(target.spki, hex);
    hex.fill(0);
    return {
      encrypted_seed: encrypted.toBase64(),
      algorithm: c.algorithm,
      digits: c.digits,
      ...(c.type === "hotp" ? { type: "hotp", counter: String(c.counter) } : { period: c.period }),
      account_name: c.accountName,
      ...(c.issuer === null ? {} : { issuer: c.issuer }),
    };
  } finally {
    uri.fill(0);
  }
}

async function failure(response: Response): Promise<string> {
  let message = "";
  try {
    const body = await response.json();
    if (typeof body?.error === "string") message = ` ${body.error}`;
  } catch {
    // not JSON: the status says enough
  }
  const hint = response.status === 500 && message === " Decryption failed"
    ? " (is --public-key the service's key?)"
    : "";
  return `Failed: HTTP ${response.status}${message}${hint}`;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
