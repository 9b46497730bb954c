/**
 * What an authenticator app needs to enrol: the Key URI Format otpauth URI (label and
 * parameters percent-encoded, secret in unpadded base32) and a QR code of it as SVG, made
 * in-process by the `qrcode` package.
 *
 * @module
 */
import { base32nopad } from "@scure/base";
import QRCode from "qrcode";
import type { OtpAlgorithm } from "../store/subjects.ts";

/** What goes into an otpauth URI. */
export interface OtpauthParams {
  issuer: string;
  accountName: string;
  secret: Uint8Array;
  algorithm: OtpAlgorithm;
  digits: number;
  period: number;
}

/** `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=…&digits=…&period=…` */
export function otpauthUri(params: OtpauthParams): string {
  const label = `${encodeURIComponent(params.issuer)}:${encodeURIComponent(params.accountName)}`;
  const query = [
    `secret=${base32nopad.encode(params.secret)}`,
    `issuer=${encodeURIComponent(params.issuer)}`,
    `algorithm=${params.algorithm}`,
    `digits=${params.digits}`,
    `period=${params.period}`,
  ].join("&");
  return `otpauth://totp/${label}?${query}`;
}

/** An SVG QR code of `text` (error correction M, quiet zone of 4 modules). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 4 });
}
