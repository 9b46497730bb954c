/**
 * Every key of the state store, built in one place so that the KV and server-backed
 * implementations, and any migration, agree on the layout.
 *
 * @module
 */

/**
 * Key under which a subject's verification states live, one per seed id: a Redis hash with
 * a field per seed, or KV keys `[...verificationKey(subject), seedId]`.
 */
export function verificationKey(subject: string): [string, string, string] {
  return ["subjects", subject, "verification"];
}

/**
 * Key of a subject's single verification state before states were kept per seed (it held
 * its seed id inside); the stores move it under {@linkcode verificationKey} when they open.
 */
export function legacyStateKey(subject: string): [string, string, string] {
  return ["subjects", subject, "state"];
}

/**
 * Key of a subject's unused recovery-code digests (a Redis set, or a KV value holding the
 * list). Apart from the verification states: a new seed keeps the codes, deleting the
 * subject removes them.
 */
export function recoveryCodesKey(subject: string): [string, string, string] {
  return ["subjects", subject, "recovery_codes"];
}

/** Key of the sealed HMAC key that makes recovery-code digests. */
export const RECOVERY_KEY_KEY: readonly string[] = ["keys", "recovery"];

/** Key of a subject's record (metadata and sealed seed) of the /v1 API. */
export function subjectRecordKey(subject: string): [string, string] {
  return ["subject_records", subject];
}

/** Prefix of every subject record, for listing. */
export const SUBJECT_RECORDS_PREFIX: readonly string[] = ["subject_records"];

/** Key of the RSA-wrapped data key that seals subject seeds. */
export const DATA_KEY_KEY: readonly string[] = ["keys", "data"];

/** Key of the keyring seen at the last start (kids only), to audit rotations and retirements. */
export const KEYRING_KEY: readonly string[] = ["keys", "keyring"];

/** Key of a lease. */
export function leaseKey(name: string): [string, string] {
  return ["leases", name];
}

/** Key of a client's rate-limit bucket. */
export function rateBucketKey(client: string): [string, string] {
  return ["rate", client];
}

/** A key as one string, for stores whose keys are strings (`pki2fa:subjects:default:state`). */
export function flatKey(parts: readonly string[], prefix = "pki2fa"): string {
  return [prefix, ...parts.map((part) => encodeURIComponent(part))].join(":");
}

/** Key of the `issued_at` of the newest signed seed accepted for a subject. */
export function seedMarkKey(subject: string): [string, string] {
  return ["seed_marks", subject];
}
