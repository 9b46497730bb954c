/**
 * `deno task proof`: the commit proof of the assignment. The 40-character commit hash
 * (ASCII) is signed with RSA-PSS (SHA-256, MGF1-SHA-256, maximum salt) by the student
 * key, and the signature is encrypted with RSA-OAEP SHA-256 to the instructor's key.
 *
 * The instructor key is 8192-bit, which Deno's WebCrypto cannot import, so the
 * encryption uses the BigInt implementation in `crypto/rsa_public_any_size.ts`.
 *
 * @module
 */
import { importRsaPrivateKey, privateKeyPemToPkcs8 } from "../crypto/rsa_keys.ts";
import { signPssMaxSalt } from "../crypto/rsa_pss.ts";
import { encryptOaepAnySize, oaepCapacity } from "../crypto/rsa_public_any_size.ts";
import {
  CliError,
  type CliIo,
  parseCli,
  processIo,
  readPublicKeyFile,
  readTextFileOrFail,
  runTool,
  UsageError,
} from "./cli.ts";

const HELP = `Usage: deno task proof [--commit HASH] [--key keys/student_private.pem]
       [--instructor keys/instructor_public.pem]

Signs the commit hash with RSA-PSS (SHA-256, maximum salt) using your private key,
encrypts the signature with RSA-OAEP SHA-256 to the instructor's public key, and prints
the commit hash and the encrypted signature (base64, one line) to submit.

Options:
  --commit HASH        40-hex commit hash (default: git rev-parse HEAD)
  --key PATH           your private key (default: keys/student_private.pem)
  --instructor PATH    the instructor's public key (default: keys/instructor_public.pem)
  -h, --help           this text`;

/** Runs a git command in the current folder; `null` when git fails or is missing. */
export type GitRunner = (args: string[]) => Promise<string | null>;

async function runGit(args: string[]): Promise<string | null> {
  try {
    const output = await new Deno.Command("git", { args, stdout: "piped", stderr: "null" })
      .output();
    return output.success ? new TextDecoder().decode(output.stdout) : null;
  } catch {
    return null;
  }
}

/** Runs proof with `args`; returns the exit status. */
export function main(
  args: string[],
  io: CliIo = processIo(),
  git: GitRunner = runGit,
): Promise<number> {
  return runTool("proof", io, async () => {
    const { values } = parseCli(args, {
      commit: { type: "string" },
      key: { type: "string" },
      instructor: { type: "string" },
    });
    if (values.help) return io.out(HELP);
    const commit = await commitHash(values.commit, git);
    if ((await git(["status", "--porcelain"]))?.trim()) {
      io.err("warning: the working tree has uncommitted changes; they are not part of this commit");
    }

    const keyPath = values.key ?? "keys/student_private.pem";
    const pkcs8 = privateKeyPemToPkcs8(await readTextFileOrFail(keyPath, "Private key"));
    const signingKey = await importRsaPrivateKey(pkcs8, { algorithm: "RSA-PSS" });
    const signature = await signPssMaxSalt(signingKey, new TextEncoder().encode(commit));

    const instructorPath = values.instructor ?? "keys/instructor_public.pem";
    const instructor = await readPublicKeyFile(instructorPath, "Instructor public key");
    const capacity = oaepCapacity(instructor.bits);
    if (signature.length > capacity) {
      throw new CliError(
        `The instructor key "${instructorPath}" is ${instructor.bits}-bit: RSA-OAEP-SHA256 ` +
          `holds at most ${capacity} bytes, but the signature is ${signature.length} bytes. ` +
          "The assignment's instructor key is 8192-bit (958 bytes); this is probably not the right key",
      );
    }
    const encrypted = await encryptOaepAnySize(instructor.spki, signature);
    io.out(`Commit Hash: ${commit}`);
    io.out(`Encrypted Signature: ${encrypted.toBase64()}`);
  });
}

async function commitHash(given: string | undefined, git: GitRunner): Promise<string> {
  const hash = given ?? (await git(["rev-parse", "HEAD"]))?.trim();
  if (hash === undefined) {
    throw new CliError("No --commit given and git rev-parse HEAD failed (not a git repository?)");
  }
  if (!/^[0-9a-fA-F]{40}$/.test(hash)) {
    throw new UsageError(`A commit hash is 40 hex characters (got "${hash}")`);
  }
  return hash.toLowerCase();
}

if (import.meta.main) Deno.exit(await main(Deno.args));
