/**
 * What the routes need from the composition root, and the security settings with the
 * defaults of a fresh install.
 *
 * @module
 */
import { HTTPException } from "hono/http-exception";
import type { AuditLog } from "../observability/audit.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Seed } from "../store/seed_store.ts";
import type { SeedSource } from "../store/seed_source.ts";
import type { StateStore } from "../store/state_store.ts";
import type { SubjectStore } from "../store/subject_store.ts";
import type { VerifyPolicy } from "../store/verifier.ts";
import type { WrongTokenThrottle } from "../middleware/wrong_token_throttle.ts";

/** The security settings (see config.ts for what each protects against). */
export interface SecurityOptions {
  /** Bearer token for /decrypt-seed and /generate-2fa; `null` leaves them open. */
  adminToken: string | null;
  verifyPolicy: VerifyPolicy;
  /** Requests a minute per client address; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Take the client address from X-Forwarded-For. */
  trustProxy: boolean;
  /** Origins allowed by CORS; empty sends no CORS headers. */
  corsOrigins: readonly string[];
  /** `ALLOWED_HOSTS` (middleware/cross_site.ts); `null` or absent checks browser requests only. */
  allowedHosts?: readonly string[] | null;
  /** The issuer's public key (SPKI DER) for signed seeds, or `null`. */
  issuerSpki: Uint8Array | null;
  /** Refuse seeds without a valid issuer signature. */
  requireSeedSignature: boolean;
  /** Bearer token for /metrics; `null` leaves it open. */
  metricsToken: string | null;
  /** Tokens that may verify and read metadata on /v1. */
  verifyTokens: readonly string[];
  /** Allow sealed export of seeds to a recipient's public key (EXPORT_ENABLED). */
  exportEnabled: boolean;
}

/** The settings of a fresh install: the assignment's contract, with replay protection and throttling on. */
export const DEFAULT_SECURITY: SecurityOptions = Object.freeze({
  adminToken: null,
  verifyPolicy: Object.freeze({ replayProtection: true, maxFailures: 5 }),
  rateLimitPerMinute: 120,
  trustProxy: false,
  corsOrigins: Object.freeze([]),
  issuerSpki: null,
  requireSeedSignature: false,
  metricsToken: null,
  verifyTokens: Object.freeze([]),
  exportEnabled: false,
});

/** A public key as `GET /v1/keys` lists it. */
export interface PublishedKey {
  /** Lower-case hex SHA-256 of the SPKI DER. */
  kid: string;
  use: "seed-encryption" | "audit";
  status: "active" | "decrypt-only";
  /** SPKI PEM. */
  public_key: string;
}

/** What the routes need. */
export interface RouteDeps {
  /** RSA-OAEP (SHA-256) private key of the service. */
  privateKey: CryptoKey;
  /** The same key for RSA-OAEP with SHA-1, for PSKC files using `rsa-oaep-mgf1p`. */
  privateKeyOaepSha1: CryptoKey;
  /** SHA-256 of the service public key's SPKI, hex: part of every signed seed message. */
  serviceKeyFingerprint: string;
  /**
   * Every seed-decryption key of the keyring, the active one (`privateKey`) first, then the
   * earlier, decrypt-only ones: a seed encrypted to any of them is accepted.
   */
  decryptionKeys: readonly CryptoKey[];
  /** The default subject's seed: the seed file, or the shared store with STATE_STORE=redis. */
  seedStore: SeedSource;
  stateStore: StateStore;
  /** The /v1 subjects. */
  subjects: SubjectStore;
  /** What `GET /v1/keys` lists: the active seed key first. */
  publishedKeys: readonly PublishedKey[];
  logger: Logger;
  audit: AuditLog;
  metrics: Metrics;
  security: SecurityOptions;
  /**
   * The wrong-token budget of every place that takes a bearer token or the console's
   * sign-in; createApp makes one. Without it wrong tokens are only answered 401.
   */
  wrongTokens?: WrongTokenThrottle | undefined;
  /** Folders the readiness probe checks. */
  paths: { dataDir: string; cronDir: string };
  /** The clock, in milliseconds; read once per request. */
  now: () => number;
}

/**
 * The seed in force.
 *
 * @throws {HTTPException} 500 "Seed not decrypted yet" — the assignment's contract
 */
export function requireSeed(store: SeedSource): Seed {
  return store.seed ?? seedNotDecrypted();
}

/**
 * No seed is stored yet.
 *
 * @throws {HTTPException} 500 "Seed not decrypted yet" — the assignment's contract
 */
export function seedNotDecrypted(): never {
  throw new HTTPException(500, { message: "Seed not decrypted yet" });
}
