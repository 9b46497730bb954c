/**
 * Opening the data key with the keyring and moving it to the active key. The data key is
 * wrapped to one service key; after a rotation (or after the key it was wrapped to is put
 * back into `KEYS_DIR/previous/`), the service opens it with that earlier key and stores it
 * wrapped to the active key, so the earlier key can be retired. The subject seeds sealed
 * under the data key are untouched: only the wrapping changes.
 *
 * Replicas starting together all unwrap the same key and race to store their rewrap; a
 * compare-and-set on the record lets the first one write and the others see the record
 * already moved (the same data key, wrapped by another replica), so exactly one rewrap is
 * stored and audited.
 *
 * @module
 */
import { wrapDataKey } from "../crypto/envelope.ts";
import { decryptOaep } from "../crypto/rsa_oaep.ts";
import type { StateStore } from "./state_store.ts";
import { DATA_KEY_KEY } from "./state_keys.ts";

/** A key of the keyring, as the data key needs it. */
export interface KeyringEntry {
  kid: string;
  privateKey: CryptoKey;
}

/** The raw data key and the kid of the key that opened it. */
export interface OpenedDataKey {
  raw: Uint8Array<ArrayBuffer>;
  kid: string;
}

/**
 * Unwraps `wrapped` with whichever key of `keys` it was wrapped to, trying the key the
 * record names (`preferKid`) first and the others, in order, only when that fails: at start,
 * after a rotation, one RSA decryption as before. (The data key is the service's own
 * record, not input from a client, so trying keys one by one tells an attacker nothing.)
 *
 * @returns `null` when none opens it
 */
export async function openWithKeyring(
  keys: readonly KeyringEntry[],
  wrapped: string,
  preferKid?: string,
): Promise<OpenedDataKey | null> {
  let ciphertext: Uint8Array<ArrayBuffer>;
  try {
    ciphertext = Uint8Array.fromBase64(wrapped);
  } catch {
    return null;
  }
  const ordered = [
    ...keys.filter((key) => key.kid === preferKid),
    ...keys.filter((key) => key.kid !== preferKid),
  ];
  for (const key of ordered) {
    try {
      return { raw: await decryptOaep(key.privateKey, ciphertext), kid: key.kid };
    } catch {
      // not this key
    }
  }
  return null;
}

/** What {@linkcode rewrapDataKey} stores. */
export interface RewrapTarget {
  /** The active key's kid and public key. */
  kid: string;
  publicKey: CryptoKey;
  now: number;
}

/**
 * Stores `raw` wrapped to the active key in place of `previousWrapped`, if the record still
 * holds `previousWrapped` (compare-and-set).
 *
 * @returns `true` when this call stored the rewrap; `false` when the record had changed
 *   (another replica rewrapped it first)
 */
export async function rewrapDataKey(
  state: StateStore,
  previousWrapped: string,
  raw: Uint8Array<ArrayBuffer>,
  target: RewrapTarget,
): Promise<boolean> {
  const record = {
    wrapped: await wrapDataKey(target.publicKey, raw),
    service_key: target.kid,
    created_at: new Date(target.now).toISOString(),
  };
  return await state.updateRecord<string | { wrapped: string; created_at?: string }, boolean>(
    DATA_KEY_KEY,
    (current) => {
      const currentWrapped = typeof current === "string" ? current : current?.wrapped;
      if (currentWrapped !== previousWrapped) return { value: null, result: false };
      // Keep when the data key was made; the record says when it was last wrapped apart.
      const created = typeof current === "object" && current?.created_at;
      return {
        value: {
          ...record,
          created_at: created || record.created_at,
          rewrapped_at: record.created_at,
        },
        result: true,
      };
    },
  );
}
