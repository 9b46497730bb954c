/**
 * Reading an existing authenticator secret from a Key URI Format `otpauth://totp/...` URI,
 * with the `otpauth` library (the same one the tests use to read our enrolment URIs), then
 * checking it against what the service can verify: SHA1/SHA256/SHA512, 6 or 8 digits, a
 * period of 15 to 120 seconds and a secret of 10 to 64 bytes.
 *
 * The library's defaults for absent parameters are the Key URI Format's (SHA1, 6 digits,
 * 30 seconds), which is what an authenticator app enrolled from the same URI uses.
 *
 * Errors never quote the secret: the library's messages are passed on only when they are
 * known to name a parameter, everything else becomes one generic message.
 *
 * @module
 */
import * as OTPAuth from "otpauth";
import { OTP_ALGORITHMS, type OtpAlgorithm } from "./otp_algorithm.ts";

/** Shortest secret accepted from an import: 80 bits, what many services issued (RFC 4226 asks 128). */
export const MIN_IMPORT_SECRET_BYTES = 10;
/** Secrets below this many bytes fall short of RFC 4226's 128 bits; imports say so. */
export const RECOMMENDED_SECRET_BYTES = 16;
/** Longest secret: a SHA-512 block's worth. */
export const MAX_SECRET_BYTES = 64;
/** Longest issuer or account name the subject records keep. */
export const MAX_LABEL_LENGTH = 200;

/** What an otpauth URI says. */
export interface OtpauthCredential {
  secret: Uint8Array<ArrayBuffer>;
  algorithm: OtpAlgorithm;
  digits: 6 | 8;
  period: number;
  /** `null` when the URI names none (neither `issuer=` nor an `Issuer:` label prefix). */
  issuer: string | null;
  /** The label without its issuer prefix. */
  accountName: string;
}

/** The URI cannot be imported; the message says why and never holds the secret. */
export class OtpauthUriError extends Error {
  override name = "OtpauthUriError";
}

/** True when `text` claims to be an otpauth URI (so a parse error should be reported as such). */
export function isOtpauthUri(text: string): boolean {
  return /^otpauth:\/\//i.test(text);
}

/** Library messages that name a parameter and carry no secret material. */
const SAFE_LIBRARY_MESSAGES = new Map([
  ["Invalid URI format", "is malformed (expected otpauth://totp/LABEL?secret=BASE32&...)"],
  ["Missing or invalid 'secret' parameter", "has a missing or invalid secret (base32 expected)"],
  ["Invalid 'period' parameter", "has an invalid period"],
  ["Invalid 'algorithm' parameter", "has an invalid algorithm"],
  ["Invalid 'digits' parameter", "has an invalid digits parameter"],
  ["Missing or invalid 'counter' parameter", "has a missing or invalid counter"],
  ["Unknown OTP type", "has an unknown type (totp expected)"],
]);

/**
 * Parses and checks an `otpauth://totp/...` URI.
 *
 * @throws {OtpauthUriError} naming the problem
 */
export function parseOtpauthUri(uri: string): OtpauthCredential {
  const fail = (problem: string): never => {
    throw new OtpauthUriError(`The otpauth URI ${problem}`);
  };
  if (!isOtpauthUri(uri)) fail("does not start with otpauth://");
  let otp: OTPAuth.HOTP | OTPAuth.TOTP;
  try {
    otp = OTPAuth.URI.parse(uri);
  } catch (error) {
    const message = error instanceof Error ? SAFE_LIBRARY_MESSAGES.get(error.message) : undefined;
    return fail(message ?? "is malformed");
  }
  if (!(otp instanceof OTPAuth.TOTP)) {
    return fail("is otpauth://hotp; only otpauth://totp is imported here");
  }
  const algorithm = OTP_ALGORITHMS.find((a) => a === otp.algorithm);
  if (algorithm === undefined) {
    return fail(`uses ${otp.algorithm}; the service supports ${OTP_ALGORITHMS.join(", ")}`);
  }
  const digits = otp.digits === 6 || otp.digits === 8
    ? otp.digits
    : fail(`has ${otp.digits} digits; the service supports 6 or 8`);
  if (otp.period < 15 || otp.period > 120) {
    return fail(`has a period of ${otp.period} s; the service supports 15 to 120`);
  }
  const secret = new Uint8Array(otp.secret.bytes);
  if (secret.length < MIN_IMPORT_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
    secret.fill(0);
    return fail(
      `has a ${secret.length * 8}-bit secret; ${MIN_IMPORT_SECRET_BYTES * 8} to ${
        MAX_SECRET_BYTES * 8
      } bits are accepted`,
    );
  }
  if (otp.label.length > MAX_LABEL_LENGTH || otp.issuer.length > MAX_LABEL_LENGTH) {
    secret.fill(0);
    return fail(`has a label or issuer over ${MAX_LABEL_LENGTH} characters`);
  }
  return {
    secret,
    algorithm,
    digits,
    period: otp.period,
    issuer: otp.issuer === "" ? null : otp.issuer,
    accountName: otp.label,
  };
}
