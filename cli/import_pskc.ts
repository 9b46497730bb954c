/**
 * `deno task import-pskc`: imports hardware tokens from an RFC 6030 (PSKC) file.
 *
 * Files protected by a pre-shared key or a passphrase are opened here, on the operator's
 * machine: every `ValueMAC` is checked, then each secret is encrypted again, to the
 * service's public key (RSA-OAEP SHA-256), and sent with `PUT /v1/subjects/{id}/seed`.
 * Nothing is sent unless every package is valid (unsupported algorithms are skipped and
 * listed). Files whose secrets are already encrypted to the service's key (RFC 6030 §6.3)
 * are posted as they are to `POST /v1/import/pskc`, which imports all or nothing.
 *
 * @module
 */
import { encryptOaepAnySize } from "../crypto/rsa_public_any_size.ts";
import { CliError, type CliIo, parseCli, processIo, runTool, UsageError } from "./cli.ts";
import { parsePskc, PskcError } from "../pskc/pskc_document.ts";
import {
  type KeyMaterial,
  KeyRequiredError,
  type PackageResult,
  type PskcToken,
  readPskcTokens,
  requiredKey,
} from "../pskc/pskc_tokens.ts";
import { MAX_XML_BYTES } from "../pskc/xml_tree.ts";
import { serviceKey } from "./service_key.ts";
import { REAL_SEND_DEPS, type SendDeps, sendPolitely } from "./send_politely.ts";

const HELP = `Usage: deno task import-pskc FILE --url URL [--key HEX | --passphrase-env NAME]
       [--prefix P] [--public-key PATH]
       deno task import-pskc FILE --dry-run [--key HEX | --passphrase-env NAME] [--prefix P]

Imports the HOTP and TOTP tokens of an RFC 6030 (PSKC) file as /v1 subjects, with the
admin token from $ADMIN_TOKEN. Each subject id is the prefix and the file's Key Id.

A file encrypted with a pre-shared key (--key) or a passphrase (--passphrase-env) is
decrypted here; every ValueMAC is checked; each secret is encrypted again to the
service's public key and sent with PUT /v1/subjects/{id}/seed. Nothing is sent unless
every package is valid; unsupported algorithms (OCRA, PIN, ...) are skipped and listed.
A file encrypted to the service's own RSA key (RFC 6030 section 6.3) is posted as it is
to POST /v1/import/pskc, which imports all of it or nothing.

Options:
  --url URL              the service, e.g. http://localhost:8080
  --key HEX              the pre-shared key (32, 48 or 64 hex characters)
  --passphrase-env NAME  the environment variable that holds the passphrase
  --prefix P             put before every Key Id (letters, digits and ._@-)
  --dry-run              check and list the tokens; send nothing
  --public-key PATH      the service's public key (default: the active seed-encryption
                         key the service publishes at GET /v1/keys)
  -h, --help             this text`;

/** Runs import-pskc with `args`; returns the exit status. */
export function main(
  args: string[],
  io: CliIo = processIo(),
  deps: SendDeps = REAL_SEND_DEPS,
): Promise<number> {
  return runTool("import-pskc", io, async () => {
    const { values, positionals } = parseCli(args, {
      url: { type: "string" },
      key: { type: "string" },
      "passphrase-env": { type: "string" },
      prefix: { type: "string" },
      "dry-run": { type: "boolean" },
      "public-key": { type: "string" },
    }, { positionals: 1 });
    if (values.help) return io.out(HELP);
    if (positionals.length !== 1) throw new UsageError("Give exactly one PSKC file");
    const url = values.url;
    if (!url) throw new UsageError("--url is required");
    if (!/^https?:\/\/[^\s/]+\/?$/.test(url)) {
      throw new UsageError(`--url must be http(s)://host[:port] (got "${url}")`);
    }
    const prefix = values.prefix ?? "";
    if (!/^[A-Za-z0-9._@-]{0,64}$/.test(prefix) || prefix.startsWith("_")) {
      throw new UsageError(
        "--prefix may hold only letters, digits and ._@- (at most 64, not starting with _)",
      );
    }
    if (values.key !== undefined && values["passphrase-env"] !== undefined) {
      throw new UsageError("Give --key or --passphrase-env, not both");
    }
    const material = keyMaterial(values.key, values["passphrase-env"], io);
    const dryRun = values["dry-run"] ?? false;
    const token = io.env("ADMIN_TOKEN");
    if (!dryRun && !token) throw new UsageError("Set ADMIN_TOKEN to the service's admin token");

    const text = await readPskcFile(positionals[0]!);
    const base = url.replace(/\/$/, "");
    let document;
    try {
      document = parsePskc(text);
    } catch (error) {
      if (error instanceof PskcError) throw new CliError(error.message);
      throw error;
    }
    const need = requiredKey(document);
    if (need === "rsa") {
      io.err("The secrets are encrypted to the service's RSA key (RFC 6030 section 6.3)");
      if (dryRun) {
        io.out(`Dry run: ${document.packages.length} key package(s); the service decrypts them`);
        return;
      }
      return await postWhole(deps, io, `${base}/v1/import/pskc`, text, prefix, token!);
    }
    if (need === null) {
      io.err("warning: the file holds its secrets in plain text; delete it once imported");
    }
    let results: PackageResult[];
    try {
      results = await readPskcTokens(document, material, { prefix });
    } catch (error) {
      if (error instanceof KeyRequiredError) {
        throw new CliError(`${error.message}: give it with ${flagFor(error.need)}`);
      }
      if (error instanceof PskcError) throw new CliError(error.message);
      throw error;
    }
    const tokens = report(results, io);
    const invalid = results.filter((r) => r.status === "invalid").length;
    if (invalid > 0) throw new CliError(`Nothing was imported: ${invalid} invalid key package(s)`);
    if (dryRun) return io.out(`Dry run: ${tokens.length} token(s) would be imported`);
    const publicKey = await serviceKey(base, {
      path: values["public-key"],
      fetch: (url, init) => sendPolitely(deps, io, String(url), init ?? {}),
    });
    io.err(`Encrypting to key ${publicKey.kid} (${publicKey.source})`);
    for (const [i, item] of tokens.entries()) {
      const send = (url: string, init: RequestInit) => sendPolitely(deps, io, url, init);
      const problem = await putToken(send, `${base}/v1/subjects/`, item, publicKey.spki, token!);
      if (problem !== null) {
        throw new CliError(
          `${item.subjectId}: ${problem}; ${i} of ${tokens.length} token(s) were imported before it`,
        );
      }
      io.out(`imported ${item.subjectId}`);
    }
    io.out(`${tokens.length} token(s) imported`);
  });
}

function keyMaterial(
  keyHex: string | undefined,
  passphraseEnv: string | undefined,
  io: CliIo,
): KeyMaterial {
  const material: KeyMaterial = {};
  if (keyHex !== undefined) {
    if (!/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{48}|[0-9a-fA-F]{64})$/.test(keyHex)) {
      throw new UsageError("--key must be 32, 48 or 64 hex characters");
    }
    material.preSharedKey = Uint8Array.fromHex(keyHex);
  }
  if (passphraseEnv !== undefined) {
    const passphrase = io.env(passphraseEnv);
    if (!passphrase) throw new UsageError(`The variable ${passphraseEnv} is not set`);
    material.passphrase = passphrase;
  }
  return material;
}

function flagFor(need: KeyRequiredError["need"]): string {
  if (need === "pre-shared") return "--key HEX";
  return need === "passphrase" ? "--passphrase-env NAME" : "the service";
}

async function readPskcFile(path: string): Promise<string> {
  let info;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new CliError(`PSKC file "${path}" does not exist`);
  }
  if (info.size > MAX_XML_BYTES) throw new CliError(`PSKC file "${path}" is larger than 1 MB`);
  return await Deno.readTextFile(path);
}

/** Prints one line per package; returns the tokens to import. */
function report(results: PackageResult[], io: CliIo): PskcToken[] {
  const tokens: PskcToken[] = [];
  for (const r of results) {
    const name = r.subjectId ?? `package ${r.index}`;
    if (r.status === "ok") {
      const t = r.token;
      const detail = t.type === "hotp" ? `counter ${t.counter}` : `${t.period} s`;
      io.out(`ok       ${name} (${t.type}, ${t.algorithm}, ${t.digits} digits, ${detail})`);
      for (const warning of t.warnings) io.err(`warning  ${name}: ${warning}`);
      tokens.push(t);
    } else if (r.status === "unsupported") {
      io.out(`skipped  ${name}: ${r.reason}`);
    } else {
      io.out(`invalid  ${name}: ${r.reason}`);
    }
  }
  return tokens;
}

/** PUTs one token; `null` on success, else what went wrong. */
async function putToken(
  send: (url: string, init: RequestInit) => Promise<Response>,
  subjectsUrl: string,
  t: PskcToken,
  spki: Uint8Array<ArrayBuffer>,
  adminToken: string,
): Promise<string | null> {
  const hex = new TextEncoder().encode(t.secret.toHex());
  const body = {
    encrypted_seed: (await encryptOaepAnySize(spki, hex)).toBase64(),
    type: t.type,
    algorithm: t.algorithm,
    digits: t.digits,
    period: t.period,
    ...(t.type === "hotp" ? { counter: t.counter.toString() } : {}),
    ...(t.issuer ? { issuer: t.issuer.slice(0, 200) } : {}),
    ...(t.serialNo ? { serial_no: t.serialNo.slice(0, 200) } : {}),
    ...(t.manufacturer ? { manufacturer: t.manufacturer.slice(0, 200) } : {}),
  };
  hex.fill(0);
  let response: Response;
  try {
    response = await send(`${subjectsUrl}${encodeURIComponent(t.subjectId)}/seed`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminToken}` },
      body: JSON.stringify(body),
    });
  } catch (error) {
    return `the service did not answer (${(error as Error).message})`;
  }
  if (response.status === 200 || response.status === 201) {
    await response.body?.cancel();
    return null;
  }
  return `the service answered ${response.status} ${await errorText(response)}`;
}

/** What `POST /v1/import/pskc` answers. */
interface ImportAnswer {
  imported?: string[];
  error?: string;
  packages?: { index: number; key_id: string | null; reason: string }[];
}

async function postWhole(
  deps: SendDeps,
  io: CliIo,
  url: string,
  text: string,
  prefix: string,
  adminToken: string,
): Promise<void> {
  let response: Response;
  try {
    response = await deps.fetch(`${url}${prefix ? `?prefix=${encodeURIComponent(prefix)}` : ""}`, {
      method: "POST",
      headers: { "Content-Type": "application/pskc+xml", Authorization: `Bearer ${adminToken}` },
      body: text,
    });
  } catch (error) {
    throw new CliError(`The service did not answer (${(error as Error).message})`);
  }
  const body = await response.json().catch(() => null) as ImportAnswer | null;
  if (response.status === 201 && Array.isArray(body?.imported)) {
    for (const id of body.imported) io.out(`imported ${id}`);
    io.out(`${body.imported.length} token(s) imported`);
    return;
  }
  for (const p of body?.packages ?? []) {
    io.out(`invalid  package ${p.index} (${p.key_id ?? "no Id"}): ${p.reason}`);
  }
  throw new CliError(`The service answered ${response.status}: ${body?.error ?? "no message"}`);
}

async function errorText(response: Response): Promise<string> {
  const body = await response.json().catch(() => null) as { error?: unknown } | null;
  return typeof body?.error === "string" ? `"${body.error}"` : "(no error message)";
}

if (import.meta.main) Deno.exit(await main(Deno.args));
