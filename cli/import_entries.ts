/**
 * The accounts in an import file: one `otpauth://` URI per line, or Google Authenticator
 * `otpauth-migration://offline?data=...` exports (each holding several accounts). Every
 * account becomes an {@linkcode ImportEntry}: its credential, checked by the same parser the
 * service uses for URI plaintexts, or the reason it is refused — per account, so one bad
 * account does not stop the others.
 *
 * Nothing here ever puts a secret (or a whole line, which may hold one) into a message.
 *
 * @module
 */
import { otpauthUri } from "../crypto/otpauth_uri.ts";
import type { OtpAlgorithm } from "../crypto/otp_algorithm.ts";
import {
  isOtpauthUri,
  type OtpauthCredential,
  OtpauthUriError,
  parseOtpauthUri,
} from "../crypto/parse_otpauth_uri.ts";
import {
  decodeMigrationUri,
  isMigrationUri,
  type MigrationEntry,
  MigrationPayloadError,
} from "./migration_payload.ts";

/** One account to import. */
export interface ImportEntry {
  /** Where it came from: `3` (line 3), or `3.2` (line 3, second account of an export). */
  source: string;
  /** The credential, or `null` when refused. */
  credential: OtpauthCredential | null;
  /** Why it is refused, or `null`. */
  problem: string | null;
}

const MIGRATION_ALGORITHMS: Record<number, OtpAlgorithm> = {
  0: "SHA1",
  1: "SHA1",
  2: "SHA256",
  3: "SHA512",
};
const MIGRATION_DIGITS: Record<number, 6 | 8> = { 0: 6, 1: 6, 2: 8 };
const MIGRATION_TOTP = 2;
const MIGRATION_HOTP = 1;
const MIGRATION_MD5 = 4;

/** Reads every account of an import file's text; blank lines and `#` comments are skipped. */
export function readImportEntries(text: string): ImportEntry[] {
  const entries: ImportEntry[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    const source = String(index + 1);
    if (line === "" || line.startsWith("#")) continue;
    if (isMigrationUri(line)) {
      let accounts: MigrationEntry[];
      try {
        accounts = decodeMigrationUri(line);
      } catch (error) {
        if (!(error instanceof MigrationPayloadError)) throw error;
        entries.push(refused(source, `The export ${error.message}`));
        continue;
      }
      if (accounts.length === 0) entries.push(refused(source, "The export holds no account"));
      for (const [i, account] of accounts.entries()) {
        entries.push(fromMigration(`${source}.${i + 1}`, account));
      }
    } else if (isOtpauthUri(line)) {
      entries.push(fromUri(source, line));
    } else {
      entries.push(
        refused(source, "Not an otpauth:// URI or an otpauth-migration:// export"),
      );
    }
  }
  return entries;
}

function refused(source: string, problem: string): ImportEntry {
  return { source, credential: null, problem };
}

function fromUri(source: string, uri: string): ImportEntry {
  try {
    return { source, credential: parseOtpauthUri(uri, { hotp: true }), problem: null };
  } catch (error) {
    if (error instanceof OtpauthUriError) return refused(source, error.message);
    throw error;
  }
}

/** An export's account, checked as if it were the URI an app would show for it. */
function fromMigration(source: string, account: MigrationEntry): ImportEntry {
  if (account.type !== MIGRATION_TOTP && account.type !== MIGRATION_HOTP) {
    return refused(source, `An account of unknown OTP type (${account.type})`);
  }
  if (account.algorithm === MIGRATION_MD5) {
    return refused(source, "An MD5 account: RFC 6238 allows SHA1, SHA256 and SHA512 only");
  }
  const algorithm = MIGRATION_ALGORITHMS[account.algorithm];
  if (algorithm === undefined) {
    return refused(source, `An account with an unknown algorithm (${account.algorithm})`);
  }
  const digits = MIGRATION_DIGITS[account.digits];
  if (digits === undefined) {
    return refused(source, `An account with an unknown digit count (${account.digits})`);
  }
  // The name is often "Issuer:account"; the issuer field may repeat the prefix or be empty.
  const colon = account.name.indexOf(":");
  const prefix = colon < 0 ? "" : account.name.slice(0, colon).trim();
  const named = colon >= 0 && (account.issuer === "" || account.issuer === prefix);
  const accountName = (named ? account.name.slice(colon + 1) : account.name).trim();
  const issuer = account.issuer !== "" ? account.issuer : named ? prefix : "";
  if (accountName === "") return refused(source, "An account without a name");
  const hotp = account.type === MIGRATION_HOTP;
  if (hotp && account.counter < 0n) {
    return refused(source, "An HOTP account with a negative counter");
  }
  const entry = fromUri(
    source,
    otpauthUri({
      issuer: issuer === "" ? null : issuer,
      accountName,
      secret: account.secret,
      algorithm,
      digits,
      period: 30, // the export has no period: Google Authenticator uses 30 s only
      // The export's counter is the next one to use, as otpauth://hotp's counter= is.
      counter: hotp ? account.counter : null,
    }),
  );
  return { ...entry, problem: entry.problem?.replace(/^The otpauth URI/, "The account") ?? null };
}
