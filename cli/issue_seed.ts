/**
 * `deno task issue-seed`: plays the seed issuer locally, for development and tests.
 * 32 random bytes → 64 lower-case hex → RSA-OAEP SHA-256 to the service's public key
 * → base64, written to a file as one line — exactly what the real issuer returns.
 *
 * @module
 */
import { encryptOaepAnySize } from "../crypto/rsa_public_any_size.ts";
import {
  importRsaPrivateKey,
  MAX_IMPORTABLE_BITS,
  privateKeyBits,
  privateKeyPemToPkcs8,
} from "../crypto/rsa_keys.ts";
import {
  CliError,
  type CliIo,
  parseCli,
  processIo,
  readPublicKeyFile,
  readTextFileOrFail,
  runTool,
} from "./cli.ts";
import { signPssMaxSalt } from "../crypto/rsa_pss.ts";

const HELP =
  `Usage: deno task issue-seed [--public-key keys/student_public.pem] [--out encrypted_seed.txt] [--print-seed]

Makes a random TOTP seed (64 hex characters), encrypts it with RSA-OAEP SHA-256 to the
public key, and writes the base64 ciphertext to the output file (one line). Post it to
the service with POST /decrypt-seed.

Options:
  --public-key PATH  the service's public key (default: keys/student_public.pem)
  --out PATH         output file (default: encrypted_seed.txt)
  --print-seed       also print the plain seed (for testing only: it is the secret)
  --sign-with PATH   also sign the base64 text with this issuer private key (RSA-PSS
                     SHA-256, maximum salt; up to 4096 bits) and write the signature
                     to <out>.sig, for POST /decrypt-seed {"encrypted_seed", "signature"}
  -h, --help         this text`;

/** Runs issue-seed with `args`; returns the exit status. */
export function main(args: string[], io: CliIo = processIo()): Promise<number> {
  return runTool("issue-seed", io, async () => {
    const { values } = parseCli(args, {
      "public-key": { type: "string" },
      out: { type: "string" },
      "print-seed": { type: "boolean" },
      "sign-with": { type: "string" },
    });
    if (values.help) return io.out(HELP);
    const publicKey = await readPublicKeyFile(
      values["public-key"] ?? "keys/student_public.pem",
      "Public key",
    );
    const seed = crypto.getRandomValues(new Uint8Array(32)).toHex();
    const ciphertext = await encryptOaepAnySize(publicKey.spki, new TextEncoder().encode(seed));
    const out = values.out ?? "encrypted_seed.txt";
    const encrypted = ciphertext.toBase64();
    await Deno.writeTextFile(out, encrypted + "\n", { mode: 0o644 });
    io.out(`Encrypted seed written to ${out} (${publicKey.bits}-bit key)`);
    if (values["sign-with"]) {
      const signature = await signAsIssuer(values["sign-with"], encrypted);
      await Deno.writeTextFile(`${out}.sig`, signature + "\n", { mode: 0o644 });
      io.out(`Issuer signature written to ${out}.sig`);
    }
    if (values["print-seed"]) io.out(`Seed: ${seed}`);
  });
}

/** RSA-PSS (SHA-256, maximum salt) over the ASCII of the base64 text, as the service verifies it. */
async function signAsIssuer(keyPath: string, encrypted: string): Promise<string> {
  const pkcs8 = privateKeyPemToPkcs8(await readTextFileOrFail(keyPath, "Issuer private key"));
  const bits = privateKeyBits(pkcs8);
  if (bits > MAX_IMPORTABLE_BITS) {
    throw new CliError(
      `The issuer key "${keyPath}" has ${bits} bits, more than Deno can sign with (${MAX_IMPORTABLE_BITS}); ` +
        'sign with openssl instead: printf %s "$(cat encrypted_seed.txt)" | openssl dgst -sha256 -sign KEY ' +
        "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:max | base64 -w0",
    );
  }
  const key = await importRsaPrivateKey(pkcs8, { algorithm: "RSA-PSS" });
  return (await signPssMaxSalt(key, new TextEncoder().encode(encrypted))).toBase64();
}

if (import.meta.main) Deno.exit(await main(Deno.args));
