/**
 * What the decrypted plaintext of `PUT /v1/subjects/{id}/seed` may be: a hex seed whose
 * parameters come from the body, or an `otpauth://totp/...` URI exported from another
 * authenticator, whose parameters win. A body parameter that contradicts the URI is a
 * mistake worth a 400 rather than a silent choice: the codes would differ from the app's.
 *
 * @module
 */
import type { OtpAlgorithm } from "../crypto/otp_algorithm.ts";
import { OtpauthUriError, parseOtpauthUri } from "../crypto/parse_otpauth_uri.ts";
import type { SubjectParams } from "../store/subject_store.ts";

/** The TOTP parameters a request body may give, each optional. */
export interface BodySeedParams {
  algorithm?: OtpAlgorithm | undefined;
  digits?: 6 | 8 | undefined;
  period?: number | undefined;
  issuer?: string | undefined;
  account_name?: string | undefined;
}

/** The Key URI Format's defaults, which a body without parameters gets too. */
export const TOTP_DEFAULTS = { algorithm: "SHA1", digits: 6, period: 30 } as const;

/** A plaintext the route can store. */
export interface ResolvedSeed {
  secret: Uint8Array<ArrayBuffer>;
  params: SubjectParams;
}

/** The plaintext is an otpauth URI that cannot be used; `message` is safe for the client. */
export class SeedPlaintextError extends Error {
  override name = "SeedPlaintextError";
}

/** The parameters of a hex seed: the body's, else the defaults. */
export function paramsFromBody(body: BodySeedParams): SubjectParams {
  return {
    algorithm: body.algorithm ?? TOTP_DEFAULTS.algorithm,
    digits: body.digits ?? TOTP_DEFAULTS.digits,
    period: body.period ?? TOTP_DEFAULTS.period,
    issuer: body.issuer ?? null,
    account_name: body.account_name ?? null,
  };
}

/**
 * The secret and parameters of an otpauth URI plaintext. The body may add an issuer or
 * account name the URI lacks, and may repeat the URI's values, but not contradict them.
 *
 * @throws {SeedPlaintextError} naming the problem (never the secret)
 */
export function seedFromOtpauth(uri: string, body: BodySeedParams): ResolvedSeed {
  let parsed;
  try {
    parsed = parseOtpauthUri(uri);
  } catch (error) {
    if (error instanceof OtpauthUriError) throw new SeedPlaintextError(error.message);
    throw error;
  }
  const fromUri = {
    algorithm: parsed.algorithm,
    digits: parsed.digits,
    period: parsed.period,
    issuer: parsed.issuer,
    account_name: parsed.accountName,
  };
  for (const name of ["algorithm", "digits", "period", "issuer", "account_name"] as const) {
    const given = body[name];
    const uriValue = fromUri[name];
    if (given === undefined || uriValue === null || given === uriValue) continue;
    parsed.secret.fill(0);
    const shown = name === "issuer" || name === "account_name"
      ? ""
      : ` (${JSON.stringify(given)} against ${JSON.stringify(uriValue)})`;
    throw new SeedPlaintextError(`${name} in the body conflicts with the otpauth URI${shown}`);
  }
  return {
    secret: parsed.secret,
    params: { ...fromUri, issuer: fromUri.issuer ?? body.issuer ?? null },
  };
}
