/**
 * `ValueMAC` checking (RFC 6030 §6.1.1): an HMAC, keyed with the container's `MACKey`,
 * over the encrypted value as it appears in `CipherValue` (IV ‖ ciphertext for CBC),
 * compared in constant time.
 *
 * @module
 */
import { createHmac } from "node:crypto";
import { algorithmName, MAC_METHODS, nodeHashName } from "./algorithm_uris.ts";
import { timingSafeEqual } from "../crypto/timing_safe_equal.ts";

/** True when `uri` is a supported `MACMethod`. */
export function isMacAlgorithm(uri: string): boolean {
  return MAC_METHODS.has(uri);
}

/** The MAC of `data` under `key` with the `MACMethod` `algorithm`. */
export function computeValueMac(algorithm: string, key: Uint8Array, data: Uint8Array): Uint8Array {
  const hash = MAC_METHODS.get(algorithm);
  if (hash === undefined) {
    throw new RangeError(`The MAC algorithm "${algorithmName(algorithm)}" is not supported`);
  }
  return new Uint8Array(createHmac(nodeHashName(hash), key).update(data).digest());
}

/**
 * True when `mac` is the MAC of `data`. The comparison takes the same time whichever
 * byte differs, so a forger learns nothing from how fast a guess is refused.
 */
export function checkValueMac(
  algorithm: string,
  key: Uint8Array,
  data: Uint8Array,
  mac: Uint8Array,
): boolean {
  return timingSafeEqual(computeValueMac(algorithm, key, data), mac);
}
