/**
 * The enrolment QR code: an SVG made in-process by the `qrcode` package, so no secret
 * goes to an outside QR service and no image library is needed.
 *
 * @module
 */
import QRCode from "qrcode";

/** An SVG QR code of `text` (error correction M, quiet zone of 4 modules). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 4 });
}
