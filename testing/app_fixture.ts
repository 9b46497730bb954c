/**
 * A service instance for route tests: a temp `DATA_DIR`, a fresh key pair, a fixed
 * clock, in-memory logs, driven through `app.request()` with no port. `restart()` builds
 * a new instance on the same folder, as a process restart would.
 *
 * @module
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createApp } from "../app.ts";
import { publishedKeys } from "../routes/keys_routes.ts";
import { createMemoryAuditLog } from "./memory_audit_log.ts";
import { createMemoryLogger } from "./memory_logger.ts";
import { createMetrics, type Metrics } from "../observability/metrics.ts";
import {
  generateRsaKeyPair,
  importRsaPrivateKey,
  importRsaPublicKey,
  privateKeyPemToPkcs8,
  type RsaKeyPairPem,
  spkiFingerprint,
} from "../crypto/rsa_keys.ts";
import { encryptOaep } from "../crypto/rsa_oaep.ts";
import type { SecurityOptions } from "../routes/route_deps.ts";
import { SeedStore } from "../store/seed_store.ts";
import { createSeedSealer, SEED_FILE, type SeedAtRest } from "../store/seed_files.ts";
import { KvStateStore } from "../store/kv_state_store.ts";
import { SubjectStore } from "../store/subject_store.ts";

/** A running test instance. */
export interface AppFixture {
  app: OpenAPIHono;
  dir: string;
  dataDir: string;
  store: SeedStore;
  stateStore: KvStateStore;
  logger: ReturnType<typeof createMemoryLogger>;
  audit: ReturnType<typeof createMemoryAuditLog>;
  metrics: Metrics;
  keys: RsaKeyPairPem;
  /** The clock the app reads, in milliseconds; tests may move it. */
  clock: { now: number };
  /** Encrypts text to the app's public key, base64 (as an issuer would). */
  encrypt(plaintext: string | Uint8Array<ArrayBuffer>): Promise<string>;
  /** Sends a request with a JSON (or raw string) body and optional headers. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** The plain seed file's content, or `null` when it does not exist. */
  seedFile(): Promise<string | null>;
  /**
   * A new instance on the same folder (seed file and state file), like a process restart;
   * `security` changes settings for it and later restarts (a new ADMIN_TOKEN, say).
   */
  restart(options?: { security?: Partial<SecurityOptions> }): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

let sharedKeys: Promise<RsaKeyPairPem> | undefined;

/** Options for {@linkcode createAppFixture}. */
export interface AppFixtureOptions {
  /** Start time in milliseconds. @default {1_764_000_015_000} (mid-step) */
  now?: number;
  /** Key pair to use. @default {one 2048-bit pair shared by the test run} */
  keys?: RsaKeyPairPem;
  /** Security settings. @default {the defaults of a fresh install, rate limit off} */
  security?: Partial<SecurityOptions>;
  /** How the seed is kept on disk. @default {"plain"} */
  atRest?: SeedAtRest;
  /** Earlier, decrypt-only key pairs of the keyring (`KEYS_DIR/previous`). @default {none} */
  previousKeys?: RsaKeyPairPem[];
}

/** Builds a fresh app on a temp folder. Use with `await using`. */
export async function createAppFixture(options: AppFixtureOptions = {}): Promise<AppFixture> {
  const keys = options.keys ?? await (sharedKeys ??= generateRsaKeyPair(2048));
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-" });
  const dataDir = `${dir}/data`;
  const privateKey = await importRsaPrivateKey(privateKeyPemToPkcs8(keys.privatePem));
  const privateKeyOaepSha1 = await importRsaPrivateKey(privateKeyPemToPkcs8(keys.privatePem), {
    hash: "SHA-1",
  });
  const publicKey = await importRsaPublicKey(keys.spki);
  const fingerprint = await spkiFingerprint(keys.spki);
  const previous = await Promise.all((options.previousKeys ?? []).map(async (pair) => ({
    kid: await spkiFingerprint(pair.spki),
    privateKey: await importRsaPrivateKey(privateKeyPemToPkcs8(pair.privatePem)),
    publicPem: pair.publicPem,
  })));
  const decryptionKeys = [privateKey, ...previous.map((key) => key.privateKey)];
  const sealer = createSeedSealer(decryptionKeys, publicKey);
  const clock = { now: options.now ?? 1_764_000_015_000 };
  let security: Partial<SecurityOptions> = { rateLimitPerMinute: 0, ...options.security };

  async function build() {
    const logger = createMemoryLogger();
    const audit = createMemoryAuditLog();
    const store = await SeedStore.open(dataDir, {
      logger,
      atRest: options.atRest ?? "plain",
      sealer,
    });
    const stateStore = await KvStateStore.open(`${dataDir}/state.kv`);
    const subjects = await SubjectStore.open(
      stateStore,
      { privateKey, publicKey, fingerprint, previous },
      {
        logger,
        onRewrapped: (from, to) =>
          audit.record("datakey.rewrapped", { kid: to, previousKid: from }),
      },
    );
    const metrics = createMetrics({ seedLoaded: () => store.seed !== null });
    const app = createApp({
      subjects,
      metrics,
      paths: { dataDir, cronDir: `${dir}/cron` },
      privateKey,
      privateKeyOaepSha1,
      decryptionKeys,
      publishedKeys: publishedKeys({
        active: { fingerprint, publicPem: keys.publicPem },
        previous,
        audit: null,
      }),
      serviceKeyFingerprint: fingerprint,
      seedStore: store,
      stateStore,
      logger,
      audit,
      security,
      now: () => clock.now,
    });
    return { app, store, stateStore, logger, audit, metrics };
  }

  const fixture: AppFixture = {
    ...await build(),
    dir,
    dataDir,
    keys,
    clock,
    async encrypt(plaintext) {
      const bytes = typeof plaintext === "string" ? new TextEncoder().encode(plaintext) : plaintext;
      return (await encryptOaep(publicKey, bytes)).toBase64();
    },
    call(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        init.headers = { "content-type": "application/json", ...headers };
      }
      return Promise.resolve(fixture.app.request(path, init));
    },
    async seedFile() {
      try {
        return await Deno.readTextFile(`${dataDir}/${SEED_FILE}`);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return null;
        throw error;
      }
    },
    async restart(changes = {}) {
      security = { ...security, ...changes.security };
      fixture.stateStore.close();
      Object.assign(fixture, await build());
    },
    async [Symbol.asyncDispose]() {
      fixture.stateStore.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
  return fixture;
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
