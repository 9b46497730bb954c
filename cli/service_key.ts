/**
 * The key an import tool encrypts secrets to: a PEM file the operator names, or else the
 * `active` `seed-encryption` key the target service publishes at `GET /v1/keys`. Asking
 * the service removes the commonest import mistake (a stale `keys/student_public.pem`
 * after a `rotate-key`, every PUT then answering "Decryption failed") and trusts nothing
 * beyond what sending the admin token to the same URL already trusts. The key's kid
 * (SHA-256 of its SPKI DER) is computed here and must equal the one the service states,
 * so the tool can print exactly which key it used.
 *
 * @module
 */
import { publicKeyPemToSpki, rsaPublicNumbers } from "../crypto/rsa_keys.ts";
import { sha256 } from "../crypto/sha256.ts";
import { CliError, readPublicKeyFile } from "./cli.ts";

/** A public key to encrypt seeds to, and where it came from. */
export interface ServiceKey {
  spki: Uint8Array<ArrayBuffer>;
  bits: number;
  /** Lower-case hex SHA-256 of the SPKI DER, as `GET /v1/keys` names keys. */
  kid: string;
  /** `GET http://host/v1/keys` or the file's path, for messages. */
  source: string;
}

/** Options for {@linkcode serviceKey}. */
export interface ServiceKeyOptions {
  /** The PEM file given with `--public-key`; without it the service is asked. */
  path?: string | undefined;
  /** The HTTP client. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /** How long the service may take to answer. @default {15000} */
  timeoutMs?: number;
}

/** The biggest `GET /v1/keys` answer read: a few RSA-8192 PEMs fit many times over. */
const MAX_ANSWER_BYTES = 256 * 1024;

/** The lower-case hex SHA-256 of a key's SPKI DER. */
export async function keyId(spki: Uint8Array<ArrayBuffer>): Promise<string> {
  return (await sha256(spki)).toHex();
}

/**
 * The key to encrypt to: the file at `options.path` when given, else the `active`
 * `seed-encryption` key of the service at `baseUrl`.
 *
 * @throws {CliError} naming the file, or saying why the service's answer is not a key
 */
export async function serviceKey(
  baseUrl: string,
  options: ServiceKeyOptions = {},
): Promise<ServiceKey> {
  if (options.path !== undefined) {
    const { spki, bits } = await readPublicKeyFile(options.path, "Public key");
    return { spki, bits, kid: await keyId(spki), source: options.path };
  }
  const url = `${baseUrl}/v1/keys`;
  const fail = (problem: string): never => {
    throw new CliError(
      `Cannot get the service's public key from GET ${url}: ${problem}; or give --public-key PATH`,
    );
  };
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: "GET",
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return fail(timedOut ? "the service did not answer in time" : "the service is unreachable");
  }
  const text = await response.text().catch(() => "");
  if (response.status !== 200) return fail(`it answered HTTP ${response.status}, not a key`);
  if (text.length > MAX_ANSWER_BYTES) return fail("its answer is too large to be a key list");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail("its answer is not JSON (is --url the pki-2fa service?)");
  }
  const keys = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return fail('its answer has no "keys" list');
  const active = keys.find((k) => k?.use === "seed-encryption" && k?.status === "active");
  if (typeof active?.public_key !== "string" || typeof active?.kid !== "string") {
    return fail("its answer has no active seed-encryption key");
  }
  let spki: Uint8Array<ArrayBuffer>;
  let bits: number;
  try {
    spki = publicKeyPemToSpki(active.public_key);
    bits = rsaPublicNumbers(spki).bits;
  } catch {
    return fail("its active key is not an RSA public key PEM");
  }
  const kid = await keyId(spki);
  if (kid !== active.kid) return fail("its active key does not match the kid it states");
  return { spki, bits, kid, source: `GET ${url}` };
}
