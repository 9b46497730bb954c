/**
 * The enrolment QR code: an SVG made in-process by the `qrcode` package, so no secret
 * goes to an outside QR service and no image library is needed.
 *
 * @module
 */
import QRCode from "qrcode";

/** The text does not fit the largest QR code (version 40) at the error correction used. */
export class QrTooLongError extends RangeError {
  override name = "QrTooLongError";
}

/**
 * An SVG QR code of `text` (error correction M, quiet zone of 4 modules).
 *
 * @throws {QrTooLongError} when `text` does not fit: how much fits depends on the
 *   characters (the encoder mixes byte and alphanumeric segments), so the encoder decides
 */
export async function qrSvg(text: string): Promise<string> {
  try {
    return await QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 4 });
  } catch (cause) {
    throw new QrTooLongError("The text does not fit a QR code at error correction M", { cause });
  }
}
