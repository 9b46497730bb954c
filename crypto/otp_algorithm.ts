/**
 * The OTP hash algorithms as otpauth URIs and the API spell them (`SHA1`, `SHA256`,
 * `SHA512`), in one place: the request schemas, the subject records, enrolment and the
 * URI builder all take their list from here, so a new algorithm cannot reach one of them
 * and miss another.
 *
 * @module
 */
import type { HashAlgorithm } from "./hotp.ts";

/** The algorithms RFC 6238 allows, spelled as in the Key URI Format. */
export const OTP_ALGORITHMS = ["SHA1", "SHA256", "SHA512"] as const;

/** One of {@linkcode OTP_ALGORITHMS}. */
export type OtpAlgorithm = (typeof OTP_ALGORITHMS)[number];

/** WebCrypto's name of each algorithm. */
export const HASH_OF: Readonly<Record<OtpAlgorithm, HashAlgorithm>> = Object.freeze({
  SHA1: "SHA-1",
  SHA256: "SHA-256",
  SHA512: "SHA-512",
});

/**
 * The secret size RFC 6238's reference seeds use for each algorithm: the hash's output
 * length, the size enrolment generates.
 */
export const SECRET_BYTES: Readonly<Record<OtpAlgorithm, number>> = Object.freeze({
  SHA1: 20,
  SHA256: 32,
  SHA512: 64,
});
