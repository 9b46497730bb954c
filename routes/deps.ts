import type { Logger } from "../logger.ts";
import type { Seed, SeedStore } from "../store/seed_store.ts";
import { HTTPException } from "hono/http-exception";

/** What the routes need from the composition root. */
export interface RouteDeps {
  /** RSA-OAEP (SHA-256) private key of the service. */
  privateKey: CryptoKey;
  seedStore: SeedStore;
  logger: Logger;
  /** The clock, in milliseconds; read once per request. */
  now: () => number;
}

/**
 * The seed in force.
 *
 * @throws {HTTPException} 500 "Seed not decrypted yet" — the assignment's contract
 */
export function requireSeed(store: SeedStore): Seed {
  const seed = store.seed;
  if (seed === null) throw new HTTPException(500, { message: "Seed not decrypted yet" });
  return seed;
}
