/**
 * The Key URI Format otpauth URI an authenticator app enrols from: label and parameters
 * percent-encoded, the secret in unpadded base32.
 *
 * @module
 */
import { base32nopad } from "@scure/base";
import type { OtpAlgorithm } from "./otp_algorithm.ts";

/** What goes into an otpauth URI. */
export interface OtpauthParams {
  /** `null`: no issuer prefix in the label and no `issuer=` parameter. */
  issuer: string | null;
  accountName: string;
  secret: Uint8Array;
  algorithm: OtpAlgorithm;
  digits: number;
  period: number;
  /** An HOTP counter: the URI is then `otpauth://hotp/...&counter=N`, without a period. */
  counter?: bigint | null | undefined;
}

/**
 * `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=…&digits=…&period=…`, or
 * `otpauth://hotp/…&digits=…&counter=…` when `params.counter` is given.
 */
export function otpauthUri(params: OtpauthParams): string {
  const hotp = params.counter !== undefined && params.counter !== null;
  const account = encodeURIComponent(params.accountName);
  const issuer = params.issuer === null ? null : encodeURIComponent(params.issuer);
  const label = issuer === null ? account : `${issuer}:${account}`;
  const query = [
    `secret=${base32nopad.encode(params.secret)}`,
    ...(issuer === null ? [] : [`issuer=${issuer}`]),
    `algorithm=${params.algorithm}`,
    `digits=${params.digits}`,
    ...(hotp ? [`counter=${params.counter}`] : [`period=${params.period}`]),
  ].join("&");
  return `otpauth://${hotp ? "hotp" : "totp"}/${label}?${query}`;
}
