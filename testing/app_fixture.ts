/**
 * A service instance for route tests: a temp `DATA_DIR`, a fresh key pair, a fixed
 * clock and an in-memory logger, driven through `app.request()` with no port.
 *
 * @module
 */
import { createApp } from "../app.ts";
import type { Hono } from "hono";
import { createMemoryLogger } from "../logger.ts";
import {
  generateRsaKeyPair,
  importRsaPrivateKey,
  importRsaPublicKey,
  privateKeyPemToPkcs8,
  type RsaKeyPairPem,
} from "../crypto/rsa_keys.ts";
import { encryptOaep } from "../crypto/rsa_oaep.ts";
import { SEED_FILE, SeedStore } from "../store/seed_store.ts";

/** A running test instance. */
export interface AppFixture {
  app: Hono;
  dir: string;
  dataDir: string;
  store: SeedStore;
  logger: ReturnType<typeof createMemoryLogger>;
  keys: RsaKeyPairPem;
  /** The clock the app reads, in milliseconds; tests may move it. */
  clock: { now: number };
  /** Encrypts text to the app's public key, base64 (as an issuer would). */
  encrypt(plaintext: string | Uint8Array<ArrayBuffer>): Promise<string>;
  /** Sends a request with a JSON (or raw string) body. */
  call(method: string, path: string, body?: unknown): Promise<Response>;
  /** The seed file's content, or `null` when it does not exist. */
  seedFile(): Promise<string | null>;
  [Symbol.asyncDispose](): Promise<void>;
}

let sharedKeys: Promise<RsaKeyPairPem> | undefined;

/** Options for {@linkcode createAppFixture}. */
export interface AppFixtureOptions {
  /** Start time in milliseconds. @default {1_764_000_015_000} (mid-step) */
  now?: number;
  /** Key pair to use. @default {one 2048-bit pair shared by the test run} */
  keys?: RsaKeyPairPem;
}

/** Builds a fresh app on a temp folder. Use with `await using`. */
export async function createAppFixture(options: AppFixtureOptions = {}): Promise<AppFixture> {
  const keys = options.keys ?? await (sharedKeys ??= generateRsaKeyPair(2048));
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-" });
  const dataDir = `${dir}/data`;
  const logger = createMemoryLogger();
  const store = await SeedStore.open(dataDir, { logger });
  const privateKey = await importRsaPrivateKey(privateKeyPemToPkcs8(keys.privatePem));
  const publicKey = await importRsaPublicKey(keys.spki);
  const clock = { now: options.now ?? 1_764_000_015_000 };
  const app = createApp({ privateKey, seedStore: store, logger, now: () => clock.now });
  return {
    app,
    dir,
    dataDir,
    store,
    logger,
    keys,
    clock,
    async encrypt(plaintext) {
      const bytes = typeof plaintext === "string" ? new TextEncoder().encode(plaintext) : plaintext;
      return (await encryptOaep(publicKey, bytes)).toBase64();
    },
    call(method, path, body) {
      const init: RequestInit = { method };
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        init.headers = { "content-type": "application/json" };
      }
      return Promise.resolve(app.request(path, init));
    },
    async seedFile() {
      try {
        return await Deno.readTextFile(`${dataDir}/${SEED_FILE}`);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return null;
        throw error;
      }
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Reads a response as `{status, body}` for one exact comparison. */
export async function statusAndBody(
  response: Response,
): Promise<{ status: number; body: unknown }> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the raw text: the assertion will show it
  }
  return { status: response.status, body };
}
