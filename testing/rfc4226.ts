/**
 * RFC 4226 Appendix D's test values, the one table every HOTP test checks against: the
 * secret "12345678901234567890" and its six-digit codes for counters 0 to 9.
 *
 * @module
 */

/** The ASCII secret of Appendix D, as hex. */
export const RFC4226_SECRET_HEX = "3132333435363738393031323334353637383930";

/** The codes of counters 0 to 9 (index = counter). */
export const RFC4226_CODES: readonly string[] = [
  "755224",
  "287082",
  "359152",
  "969429",
  "338314",
  "254676",
  "287922",
  "162583",
  "399871",
  "520489",
];
