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
  spkiFingerprint,
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
import { seedMessage } from "../crypto/seed_message.ts";

const HELP =
  `Usage: deno task issue-seed [--public-key keys/student_public.pem] [--out encrypted_seed.txt] [--print-seed]

Makes a random TOTP seed (64 hex characters), encrypts it with RSA-OAEP SHA-256 to the
public key, and writes the base64 ciphertext to the output file (one line). Post it to
the service with POST /decrypt-seed.

Options:
  --public-key PATH  the service's public key (default: keys/student_public.pem)
  --out PATH         output file (default: encrypted_seed.txt)
  --print-seed       also print the plain seed (for testing only: it is the secret)
  --sign-with PATH   also sign it with this issuer private key (RSA-PSS SHA-256, maximum
                     salt; up to 4096 bits): the signature goes to <out>.sig and the
                     whole request body {"encrypted_seed", "signature", "issued_at"} to
                     <out>.json. The signature covers the subject, the service key's
                     SHA-256 fingerprint, the time and the ciphertext; the service takes
                     it for 10 minutes, and only if newer than the last one it took
  --subject ID       the subject the signed seed is for (default: default, the seed of
                     POST /decrypt-seed; an id for PUT /v1/subjects/ID/seed)
  -h, --help         this text`;

/** Runs issue-seed with `args`; returns the exit status. */
export function main(args: string[], io: CliIo = processIo()): Promise<number> {
  return runTool("issue-seed", io, async () => {
    const { values } = parseCli(args, {
      "public-key": { type: "string" },
      out: { type: "string" },
      "print-seed": { type: "boolean" },
      "sign-with": { type: "string" },
      subject: { type: "string" },
    });
    if (values.help) return io.out(HELP);
    const publicKey = await readPublicKeyFile(
      values["public-key"] ?? "keys/student_public.pem",
      "Public key",
    );
    // A signing key that cannot be used must fail before any file is written, so a failed
    // run never leaves a new seed beside a stale .sig/.json from an earlier one.
    const issuerKey = values["sign-with"] ? await loadIssuerKey(values["sign-with"]) : undefined;
    const seed = crypto.getRandomValues(new Uint8Array(32)).toHex();
    const ciphertext = await encryptOaepAnySize(publicKey.spki, new TextEncoder().encode(seed));
    const out = values.out ?? "encrypted_seed.txt";
    const encrypted = ciphertext.toBase64();
    await Deno.writeTextFile(out, encrypted + "\n", { mode: 0o644 });
    io.out(`Encrypted seed written to ${out} (${publicKey.bits}-bit key)`);
    if (issuerKey) {
      const issuedAt = new Date().toISOString();
      const message = seedMessage({
        subject: values.subject ?? "default",
        serviceKeyFingerprint: await spkiFingerprint(publicKey.spki),
        issuedAt,
        encryptedSeed: encrypted,
      });
      const signature = (await signPssMaxSalt(issuerKey, message)).toBase64();
      await Deno.writeTextFile(`${out}.sig`, signature + "\n", { mode: 0o644 });
      const body = { encrypted_seed: encrypted, signature, issued_at: issuedAt };
      await Deno.writeTextFile(`${out}.json`, JSON.stringify(body) + "\n", { mode: 0o644 });
      io.out(`Issuer signature written to ${out}.sig, the request body to ${out}.json`);
    }
    if (values["print-seed"]) io.out(`Seed: ${seed}`);
  });
}

/** The issuer's RSA-PSS key (SHA-256, maximum salt), as the service verifies its signatures. */
async function loadIssuerKey(keyPath: string): Promise<CryptoKey> {
  const pkcs8 = privateKeyPemToPkcs8(await readTextFileOrFail(keyPath, "Issuer private key"));
  const bits = privateKeyBits(pkcs8);
  if (bits > MAX_IMPORTABLE_BITS) {
    throw new CliError(
      `The issuer key "${keyPath}" has ${bits} bits, more than Deno can sign with (${MAX_IMPORTABLE_BITS}); ` +
        "sign the pki-2fa-seed-v1 message with openssl instead (docs/security.md, Issuer-signed seeds)",
    );
  }
  return await importRsaPrivateKey(pkcs8, { algorithm: "RSA-PSS" });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
