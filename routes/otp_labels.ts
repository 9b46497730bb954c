/**
 * The labels an authenticator app shows (`issuer`, `account_name`), checked before a
 * subject is saved. Google's Key Uri Format joins them as `issuer:account` in the label
 * and repeats the issuer as a parameter, so a `:` inside either one makes a URI that
 * apps read differently (Python's `pyotp.parse_uri` refuses it: "If issuer is specified in
 * both label and parameters, it should be equal"). Control characters have no place in a
 * name shown on a phone, nor have bidirectional formatting characters. The API and the
 * console's enrol form both check with this.
 *
 * @module
 */

/** Why a label is refused, or `null` when it is fine. */
export function labelProblem(name: "issuer" | "account_name", value: string): string | null {
  if (value.includes(":")) {
    return `${name} must not contain ":" (the Key Uri Format separates issuer and account name with it)`;
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) {
    return `${name} must not contain control characters`;
  }
  // Bidirectional formatting characters reorder what the app shows ("Bank" can read as
  // another name), as in the Trojan Source attacks (CVE-2021-42574).
  if (/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(value)) {
    return `${name} must not contain bidirectional formatting characters`;
  }
  return null;
}
