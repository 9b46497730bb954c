/**
 * `deno task keygen [--dir keys] [--bits 4096] [--force]`: the service's RSA key pair,
 * e = 65537, PKCS#8 private key (mode 0600) and SPKI public key, under the names the
 * service and the issuer expect.
 *
 * @module
 */
import { join } from "node:path";
import { generateRsaKeyPair, MAX_IMPORTABLE_BITS, spkiFingerprint } from "../crypto/rsa_keys.ts";
import { KEY_FILES, writeKeyPair } from "../store/key_files.ts";
import { CliError, type CliIo, parseCli, processIo, runTool, UsageError } from "./cli.ts";

const HELP = `Usage: deno task keygen [--dir keys] [--bits 4096] [--force]

Generates the service's RSA key pair (e = 65537):
  <dir>/${KEY_FILES.private}  PKCS#8 PEM, mode 0600 (keep it secret)
  <dir>/${KEY_FILES.public}   SPKI PEM (give it to the seed issuer)
and prints the public key's SHA-256 fingerprint.

Options:
  --dir DIR    key folder (default: keys)
  --bits N     key size, 2048 to ${MAX_IMPORTABLE_BITS} (default: 4096)
  --force      replace existing key files (seeds encrypted to the old key become unreadable)
  -h, --help   this text`;

/** Runs keygen with `args`; returns the exit status. */
export function main(args: string[], io: CliIo = processIo()): Promise<number> {
  return runTool("keygen", io, async () => {
    const { values } = parseCli(args, {
      dir: { type: "string" },
      bits: { type: "string" },
      force: { type: "boolean" },
    });
    if (values.help) return io.out(HELP);
    const dir = values.dir ?? "keys";
    const bits = Number(values.bits ?? "4096");
    if (!Number.isInteger(bits) || bits < 2048 || bits > MAX_IMPORTABLE_BITS) {
      throw new UsageError(
        `--bits must be a whole number from 2048 to ${MAX_IMPORTABLE_BITS} (got "${values.bits}")`,
      );
    }
    const privatePath = join(dir, KEY_FILES.private);
    const publicPath = join(dir, KEY_FILES.public);
    if (!values.force) {
      for (const path of [privatePath, publicPath]) {
        if (await exists(path)) {
          throw new CliError(`"${path}" already exists; use --force to replace the key pair`);
        }
      }
    }
    io.err(`Generating a ${bits}-bit RSA key pair...`);
    const pair = await generateRsaKeyPair(bits);
    await writeKeyPair(dir, pair, { force: values.force ?? false });
    io.out(`Private key: ${privatePath} (mode 0600, keep it secret)`);
    io.out(`Public key:  ${publicPath}`);
    io.out(`SHA-256 fingerprint: ${await spkiFingerprint(pair.spki)}`);
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
