/**
 * `deno task issue-seed`: plays the seed issuer locally, for development and tests.
 * 32 random bytes → 64 lower-case hex → RSA-OAEP SHA-256 to the service's public key
 * → base64, written to a file as one line — exactly what the real issuer returns.
 *
 * @module
 */
import { encryptOaepAnySize } from "../crypto/rsa_public_any_size.ts";
import { type CliIo, parseCli, processIo, readPublicKeyFile, runTool } from "./cli.ts";

const HELP =
  `Usage: deno task issue-seed [--public-key keys/student_public.pem] [--out encrypted_seed.txt] [--print-seed]

Makes a random TOTP seed (64 hex characters), encrypts it with RSA-OAEP SHA-256 to the
public key, and writes the base64 ciphertext to the output file (one line). Post it to
the service with POST /decrypt-seed.

Options:
  --public-key PATH  the service's public key (default: keys/student_public.pem)
  --out PATH         output file (default: encrypted_seed.txt)
  --print-seed       also print the plain seed (for testing only: it is the secret)
  -h, --help         this text`;

/** Runs issue-seed with `args`; returns the exit status. */
export function main(args: string[], io: CliIo = processIo()): Promise<number> {
  return runTool("issue-seed", io, async () => {
    const { values } = parseCli(args, {
      "public-key": { type: "string" },
      out: { type: "string" },
      "print-seed": { type: "boolean" },
    });
    if (values.help) return io.out(HELP);
    const publicKey = await readPublicKeyFile(
      values["public-key"] ?? "keys/student_public.pem",
      "Public key",
    );
    const seed = crypto.getRandomValues(new Uint8Array(32)).toHex();
    const ciphertext = await encryptOaepAnySize(publicKey.spki, new TextEncoder().encode(seed));
    const out = values.out ?? "encrypted_seed.txt";
    await Deno.writeTextFile(out, ciphertext.toBase64() + "\n", { mode: 0o644 });
    io.out(`Encrypted seed written to ${out} (${publicKey.bits}-bit key)`);
    if (values["print-seed"]) io.out(`Seed: ${seed}`);
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
