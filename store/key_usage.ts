/**
 * What is still wrapped to a service key, so that retiring it cannot lock anything away.
 * The service wraps to its RSA key only two things that outlive a request:
 *
 * - the /v1 data key (state store, `keys/data`), which seals every subject's seed, the
 *   recovery-code HMAC key and, with `STATE_STORE=redis`, the assignment's seed shared by
 *   replicas: all of them follow the data key, so it is the one thing to check there;
 * - with `SEED_AT_REST=sealed`, `DATA_DIR/seed.enc`, the seed RSA-encrypted to the key.
 *
 * Both are moved to the active key when the service starts with it (the data key by a
 * compare-and-set rewrap, the sealed seed by sealing it again). Seeds sent by issuers are
 * decrypted once and never kept in their RSA form otherwise (a seed file in `plain` form and
 * PSKC files hold no RSA ciphertext).
 *
 * @module
 */
import { join } from "node:path";
import { decryptOaep } from "../crypto/rsa_oaep.ts";
import { SEALED_SEED_FILE } from "./seed_files.ts";
import type { StateStore } from "./state_store.ts";
import { DATA_KEY_KEY } from "./state_keys.ts";

/** A key to look for. */
export interface KeyToCheck {
  kid: string;
  privateKey: CryptoKey;
}

/** Where to look. */
export interface KeyUsageSources {
  /** `DATA_DIR` of the service (`seed.enc`). */
  dataDir: string;
  /** The service's state store (the data key), or `null` when it holds nothing yet. */
  state: StateStore | null;
}

/** One thing still wrapped to the key, and how to move it. */
export interface KeyUse {
  what: string;
  remedy: string;
}

const RESTART = "start the service (every replica) once with the new active key";

/** Everything in `sources` still wrapped to `key`; empty when it can be retired. */
export async function findUsesOfKey(key: KeyToCheck, sources: KeyUsageSources): Promise<KeyUse[]> {
  const uses: KeyUse[] = [];
  if (sources.state !== null && await dataKeyIsWrappedTo(key, sources.state)) {
    uses.push({
      what: "the /v1 data key (in the state store) is wrapped to this key",
      remedy: `${RESTART}: it rewraps the data key (audit event datakey.rewrapped)`,
    });
  }
  const sealedPath = join(sources.dataDir, SEALED_SEED_FILE);
  const sealed = await readOptional(sealedPath);
  if (sealed !== null && await opens(key.privateKey, sealed.trim())) {
    uses.push({
      what: `the sealed seed "${sealedPath}" is encrypted to this key`,
      remedy: `${RESTART}: it seals the seed again to the active key`,
    });
  }
  return uses;
}

/** The stored data key: a record naming its key, or the bare base64 of earlier versions. */
type StoredDataKey = string | { wrapped?: unknown; service_key?: unknown };

async function dataKeyIsWrappedTo(key: KeyToCheck, state: StateStore): Promise<boolean> {
  const stored = await state.getRecord<StoredDataKey>(DATA_KEY_KEY);
  if (stored === null) return false;
  if (
    typeof stored === "object" && typeof stored.service_key === "string" &&
    /^[0-9a-f]{64}$/.test(stored.service_key)
  ) {
    return stored.service_key === key.kid;
  }
  // No label (or an unknown one): find out by unwrapping.
  const wrapped = typeof stored === "string" ? stored : stored.wrapped;
  return typeof wrapped === "string" && await opens(key.privateKey, wrapped);
}

async function opens(privateKey: CryptoKey, base64: string): Promise<boolean> {
  try {
    (await decryptOaep(privateKey, Uint8Array.fromBase64(base64))).fill(0);
    return true;
  } catch {
    return false;
  }
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
