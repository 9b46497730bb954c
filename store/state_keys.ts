/**
 * Every key of the state store, built in one place so that the KV and server-backed
 * implementations, and any migration, agree on the layout.
 *
 * @module
 */

/** Key of a subject's verification state. */
export function subjectStateKey(subject: string): [string, string, string] {
  return ["subjects", subject, "state"];
}

/** Key of a subject's record (metadata and sealed seed) of the /v1 API. */
export function subjectRecordKey(subject: string): [string, string] {
  return ["subject_records", subject];
}

/** Prefix of every subject record, for listing. */
export const SUBJECT_RECORDS_PREFIX: readonly string[] = ["subject_records"];

/** Key of the RSA-wrapped data key that seals subject seeds. */
export const DATA_KEY_KEY: readonly string[] = ["keys", "data"];

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
