/**
 * oathtool (OATH Toolkit), the independent implementation our TOTP and HOTP codes are
 * checked against in the interop suite. Missing, it fails the test with the apt command.
 *
 * @module
 */
import { runOk } from "./command.ts";

/** Options for {@linkcode oathtoolTotp}. */
export interface OathtoolTotpOptions {
  /** @default {6} */
  digits?: number;
  /** Step in seconds. @default {30} */
  period?: number;
  /** `sha1`, `sha256` or `sha512`. @default {"sha1"} */
  algorithm?: "sha1" | "sha256" | "sha512";
}

/** oathtool's TOTP code of a hex seed at a Unix time in seconds. */
export async function oathtoolTotp(
  seedHex: string,
  seconds: number,
  options: OathtoolTotpOptions = {},
): Promise<string> {
  const args = [
    `--totp=${options.algorithm ?? "sha1"}`,
    "-d",
    String(options.digits ?? 6),
    "-s",
    String(options.period ?? 30),
    "-N",
    `@${Math.floor(seconds)}`,
    seedHex,
  ];
  return (await runOk("oathtool", args)).trim();
}

/** oathtool's HOTP code of a hex seed at a counter (any size up to 2^64 - 1). */
export async function oathtoolHotp(
  seedHex: string,
  counter: number | bigint,
  digits = 6,
): Promise<string> {
  return (await runOk("oathtool", ["--hotp", "-d", String(digits), "-c", String(counter), seedHex]))
    .trim();
}
