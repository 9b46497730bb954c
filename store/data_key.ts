/**
 * The data key that seals /v1 subject seeds (crypto/envelope.ts), stored only wrapped to
 * the service's RSA key. It is created the first time /v1 needs it, not at start, and a
 * wrapped key that the service key cannot open locks the subject store instead of
 * stopping the process: after a replaced private key the assignment's endpoints keep
 * working with the new key while /v1 answers 503 and `/ready` names the check.
 *
 * The record names the public key it is wrapped to (SHA-256 fingerprint of the SPKI), so
 * the log can say which key to restore. A data key wrapped to an earlier key of the keyring
 * (after a rotation, or a replaced key put back into `KEYS_DIR/previous/`) is opened with it
 * and rewrapped to the active key (data_key_rewrap.ts).
 *
 * @module
 */
import { createWrappedDataKey, importDataKey } from "../crypto/envelope.ts";
import {
  type KeyringEntry,
  type OpenedDataKey,
  openWithKeyring,
  rewrapDataKey,
} from "./data_key_rewrap.ts";
import type { Logger } from "../observability/logger.ts";
import type { StateStore } from "./state_store.ts";
import { DATA_KEY_KEY } from "./state_keys.ts";

/** The stored data key. Versions before this one stored the bare base64 string. */
export interface WrappedDataKeyRecord {
  /** RSA-OAEP (SHA-256) wrapped 256-bit AES key, base64. */
  wrapped: string;
  /** SHA-256 fingerprint (hex) of the SPKI of the public key it is wrapped to. */
  service_key: string;
  created_at: string;
}

/** The service key pair, as the data key needs it. */
export interface DataKeyServiceKeys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** SHA-256 fingerprint (hex) of the public key's SPKI. */
  fingerprint: string;
  /**
   * The earlier keys of the keyring (`KEYS_DIR/previous`): a data key wrapped to one of
   * them is opened with it and rewrapped to the active key. @default {none}
   */
  previous?: readonly KeyringEntry[];
}

/** The message of the 503 every /v1 route gives while the store is locked. */
export const LOCKED_MESSAGE = "Subject store locked: data key does not match the service key";

/** The data key does not unwrap with the service key; /v1 answers 503. */
export class SubjectStoreLockedError extends Error {
  override name = "SubjectStoreLockedError";
  constructor() {
    super(LOCKED_MESSAGE);
  }
}

/** The message of the 503 when the state store no longer holds this process's data key. */
export const DATA_KEY_NOT_STORED_MESSAGE =
  "Subject store unavailable: the state store holds another data key than this replica " +
  "(was the store reset?); nothing was sealed";

/**
 * The state store holds a different data key than the one in memory (it lost its data and
 * another replica made a new key): sealing under the in-memory key would make records no
 * restart can open, so nothing is sealed and the client gets a 503.
 */
export class DataKeyNotStoredError extends Error {
  override name = "DataKeyNotStoredError";
  constructor() {
    super(DATA_KEY_NOT_STORED_MESSAGE);
  }
}

/**
 * Whether /v1 can seal and open seeds: `foreign` when the state store holds another data key
 * than the one this process opened (see {@linkcode DataKey.forSealing}).
 */
export type DataKeyStatus = "ok" | "absent" | "locked" | "foreign";

/** Options for {@linkcode DataKey}. */
export interface DataKeyOptions {
  /** Receives the one error line that says how to recover. */
  logger: Logger;
  /** The clock, for `created_at`. @default {Date.now} */
  now?: () => number;
  /** Told when this process stored the data key rewrapped from `fromKid` to `toKid`. */
  onRewrapped?: (fromKid: string, toKid: string) => void;
}

/** The data key over a state store: created on first use, unwrapped once, cached. */
export class DataKey {
  #state: StateStore;
  #keys: DataKeyServiceKeys;
  #options: DataKeyOptions;
  #key: CryptoKey | null = null;
  /** The stored record `#key` was opened from: what must be in the store before sealing. */
  #record: WrappedDataKeyRecord | null = null;
  /** SHA-256 (hex) of the raw key, to tell the same key wrapped otherwise from another key. */
  #digest: string | null = null;
  /** The wrapped text that failed to unwrap: not tried again (an RSA decryption) until it changes. */
  #failed: string | null = null;
  /** forSealing found another data key in the store: `/ready` fails until that changes. */
  #foreign = false;
  #logged = false;

  constructor(state: StateStore, keys: DataKeyServiceKeys, options: DataKeyOptions) {
    this.#state = state;
    this.#keys = keys;
    this.#options = options;
  }

  /**
   * The unwrapped key, creating and storing it first when there is none. Replicas racing
   * to create it agree on one: only the first if-absent write lands, the others read it.
   *
   * @throws {SubjectStoreLockedError} when the stored key does not unwrap
   */
  async get(): Promise<CryptoKey> {
    if (this.#key !== null) return this.#key;
    let stored = await this.#read();
    if (stored === null) {
      const record: WrappedDataKeyRecord = {
        wrapped: await createWrappedDataKey(this.#keys.publicKey),
        service_key: this.#keys.fingerprint,
        created_at: new Date((this.#options.now ?? Date.now)()).toISOString(),
      };
      await this.#state.setRecord(DATA_KEY_KEY, record, { ifAbsent: true });
      stored = await this.#read();
      if (stored === null) throw new Error("The data key vanished right after it was stored");
    }
    return await this.#unwrap(stored);
  }

  /**
   * The key, for sealing something new: first makes sure the state store still holds the
   * wrapped key it came from. A store that lost its data (Redis restarted without
   * persistence) gets the record back (if-absent, so a racing replica's key wins); without
   * this, new records were sealed under a key that existed only in memory, and the next
   * start made a new key, could not open them, and crash-looped. Costs one read per seal.
   *
   * @throws {DataKeyNotStoredError} when the store holds a different data key
   * @throws {SubjectStoreLockedError} when the stored key does not unwrap
   */
  async forSealing(): Promise<CryptoKey> {
    const key = await this.get();
    const mine = this.#record!;
    let stored = await this.#read();
    if (stored !== null && stored.wrapped === mine.wrapped) {
      this.#foreign = false;
      return key;
    }
    if (stored === null) {
      await this.#state.setRecord(DATA_KEY_KEY, mine, { ifAbsent: true });
      stored = await this.#read();
      if (stored !== null && stored.wrapped === mine.wrapped) {
        this.#options.logger.warn(
          "The state store had lost the /v1 data key; it was stored again from memory",
          { serviceKey: mine.service_key },
        );
        return key;
      }
      if (stored === null) throw new DataKeyNotStoredError();
    }
    // Another wrapping: the same key rewrapped by another replica is fine, another key not.
    const { fingerprint, privateKey, previous = [] } = this.#keys;
    const opened = await openWithKeyring(
      [{ kid: fingerprint, privateKey }, ...previous],
      stored.wrapped,
      stored.service_key,
    );
    if (opened !== null) {
      try {
        if (await digestOf(opened.raw) === this.#digest) {
          this.#record = stored;
          this.#foreign = false;
          return key;
        }
      } finally {
        opened.raw.fill(0);
      }
    }
    if (!this.#foreign) {
      this.#options.logger.error(
        "The state store holds another /v1 data key than this replica: nothing is sealed " +
          "and /ready fails until this replica restarts (records sealed since the store lost " +
          "its data may be unreadable)",
        { serviceKey: fingerprint },
      );
    }
    this.#foreign = true;
    throw new DataKeyNotStoredError();
  }

  /**
   * Whether /v1 can work, without creating the key: for `/ready` and the start-up check.
   * After {@linkcode forSealing} found another data key in the store, `foreign` until the
   * store holds this process's key again (one read per call, only in that state): a replica
   * that can neither seal nor open what the others seal must leave the load balancer.
   */
  async status(): Promise<DataKeyStatus> {
    if (this.#key !== null && this.#foreign) {
      const stored = await this.#read();
      if (stored === null || stored.wrapped === this.#record!.wrapped) {
        this.#foreign = false;
        return "ok";
      }
      return "foreign";
    }
    if (this.#key !== null) return "ok";
    const stored = await this.#read();
    if (stored === null) return "absent";
    try {
      await this.#unwrap(stored);
      return "ok";
    } catch (error) {
      if (error instanceof SubjectStoreLockedError) return "locked";
      throw error;
    }
  }

  async #read(): Promise<WrappedDataKeyRecord | null> {
    const stored = await this.#state.getRecord<WrappedDataKeyRecord | string>(DATA_KEY_KEY);
    if (stored === null) return null;
    // The bare string of earlier versions: wrapped to an unrecorded key.
    return typeof stored === "string"
      ? { wrapped: stored, service_key: "unknown", created_at: "unknown" }
      : stored;
  }

  async #unwrap(stored: WrappedDataKeyRecord): Promise<CryptoKey> {
    if (stored.wrapped === this.#failed) throw new SubjectStoreLockedError();
    const { fingerprint, privateKey, previous = [] } = this.#keys;
    const opened = await openWithKeyring(
      [{ kid: fingerprint, privateKey }, ...previous],
      stored.wrapped,
      stored.service_key,
    );
    if (opened === null) {
      this.#failed = stored.wrapped;
      this.#reportLocked(stored);
      throw new SubjectStoreLockedError();
    }
    try {
      const key = await importDataKey(opened.raw);
      this.#digest = await digestOf(opened.raw);
      if (opened.kid !== fingerprint) await this.#rewrap(stored, opened);
      this.#record = stored;
      this.#key = key;
      this.#failed = null;
      return key;
    } finally {
      opened.raw.fill(0);
    }
  }

  /** Moves the data key to the active key; a failure is logged, and the next start retries. */
  async #rewrap(stored: WrappedDataKeyRecord, opened: OpenedDataKey): Promise<void> {
    const { logger, now = Date.now } = this.#options;
    try {
      const wrote = await rewrapDataKey(this.#state, stored.wrapped, opened.raw, {
        kid: this.#keys.fingerprint,
        publicKey: this.#keys.publicKey,
        now: now(),
      });
      if (wrote) {
        logger.info("Rewrapped the /v1 data key to the active key", {
          from: opened.kid,
          to: this.#keys.fingerprint,
        });
        this.#options.onRewrapped?.(opened.kid, this.#keys.fingerprint);
      }
    } catch (error) {
      logger.warn("The /v1 data key could not be rewrapped to the active key; it stays usable", {
        from: opened.kid,
        error: error instanceof Error ? error.name : "unknown",
      });
    }
  }

  #reportLocked(stored: WrappedDataKeyRecord): void {
    if (this.#logged) return;
    this.#logged = true;
    this.#options.logger.error(
      "The /v1 subject store is locked: its data key does not unwrap with any loaded key " +
        "(KEYS_DIR and KEYS_DIR/previous). The assignment's endpoints work; /v1 answers 503 " +
        "and /ready fails (subject_store). To recover, put back the private key the data key " +
        "was wrapped to (fingerprint below), as KEYS_DIR/previous/<fingerprint>.pem, and " +
        "restart: the data key is then rewrapped to the active key. Deleting the data key " +
        "would lose every /v1 subject",
      {
        dataKeyWrappedTo: stored.service_key,
        serviceKey: this.#keys.fingerprint,
      },
    );
  }
}

async function digestOf(raw: Uint8Array<ArrayBuffer>): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", raw)).toHex();
}
