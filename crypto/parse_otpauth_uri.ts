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
import { MAX_HOTP_COUNTER } from "./hotp_window.ts";

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
  /** `hotp` only when {@linkcode ParseOtpauthOptions.hotp} allowed it. */
  type: "totp" | "hotp";
  /** The HOTP counter (the next value to use), exact up to 2^64 - 1; `null` for TOTP. */
  counter: bigint | null;
  secret: Uint8Array<ArrayBuffer>;
  algorithm: OtpAlgorithm;
  digits: 6 | 8;
  /** Seconds per step; 30 (unused) for HOTP. */
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

/** Options for {@linkcode parseOtpauthUri}. */
export interface ParseOtpauthOptions {
  /**
   * Accept `otpauth://hotp/...?counter=N` too. The service's seed plaintexts are TOTP only
   * (an HOTP subject's counter travels in the request body); import-uris reads HOTP URIs
   * and sends them that way.
   * @default {false}
   */
  hotp?: boolean;
}

/**
 * Parses and checks an `otpauth://totp/...` URI (or `otpauth://hotp/...` when allowed).
 *
 * @throws {OtpauthUriError} naming the problem
 */
export function parseOtpauthUri(
  uri: string,
  options: ParseOtpauthOptions = {},
): OtpauthCredential {
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
  let counter: bigint | null = null;
  if (otp instanceof OTPAuth.HOTP) {
    if (!options.hotp) return fail("is otpauth://hotp; only otpauth://totp is imported here");
    // The library reads the counter as a JavaScript number; read it again, exactly.
    const text = /[?&]counter=([^&#]*)/i.exec(uri)?.[1] ?? "";
    if (!/^\d{1,20}$/.test(text) || BigInt(text) > MAX_HOTP_COUNTER) {
      return fail("has a counter that is not an integer from 0 to 2^64 - 1");
    }
    counter = BigInt(text);
  }
  const algorithm = OTP_ALGORITHMS.find((a) => a === otp.algorithm);
  if (algorithm === undefined) {
    return fail(`uses ${otp.algorithm}; the service supports ${OTP_ALGORITHMS.join(", ")}`);
  }
  const digits = otp.digits === 6 || otp.digits === 8
    ? otp.digits
    : fail(`has ${otp.digits} digits; the service supports 6 or 8`);
  const period = otp instanceof OTPAuth.TOTP ? otp.period : 30;
  if (period < 15 || period > 120) {
    return fail(`has a period of ${period} s; the service supports 15 to 120`);
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
    type: counter === null ? "totp" : "hotp",
    counter,
    secret,
    algorithm,
    digits,
    period,
    issuer: otp.issuer === "" ? null : otp.issuer,
    accountName: otp.label,
  };
}
