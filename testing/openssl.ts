/**
 * Key and ciphertext fixtures made by OpenSSL, so that tests check our code against a
 * tool no one here wrote.
 *
 * @module
 */
import { run, runOk } from "./command.ts";

/** Options for {@linkcode opensslKeyPair}. */
export interface OpensslKeyPairOptions {
  /** Key size. @default {2048} */
  bits?: number;
  /** `pkcs8` (`openssl genpkey`) or `pkcs1` (`openssl genrsa -traditional`). @default {"pkcs8"} */
  format?: "pkcs8" | "pkcs1";
  /** File names inside `dir`. @default {"student_private.pem" and "student_public.pem"} */
  privateName?: string;
  publicName?: string;
}

/** Paths of a generated key pair. */
export interface KeyPairPaths {
  privatePath: string;
  publicPath: string;
}

/** Generates an RSA key pair with OpenSSL into `dir`. */
export async function opensslKeyPair(
  dir: string,
  options: OpensslKeyPairOptions = {},
): Promise<KeyPairPaths> {
  const bits = String(options.bits ?? 2048);
  const privatePath = `${dir}/${options.privateName ?? "student_private.pem"}`;
  const publicPath = `${dir}/${options.publicName ?? "student_public.pem"}`;
  if ((options.format ?? "pkcs8") === "pkcs8") {
    await runOk("openssl", [
      "genpkey",
      "-algorithm",
      "RSA",
      "-pkeyopt",
      `rsa_keygen_bits:${bits}`,
      "-out",
      privatePath,
    ]);
  } else {
    await runOk("openssl", ["genrsa", "-traditional", "-out", privatePath, bits]);
  }
  await runOk("openssl", ["pkey", "-in", privatePath, "-pubout", "-out", publicPath]);
  return { privatePath, publicPath };
}

const OAEP_SHA256 = [
  "-pkeyopt",
  "rsa_padding_mode:oaep",
  "-pkeyopt",
  "rsa_oaep_md:sha256",
  "-pkeyopt",
  "rsa_mgf1_md:sha256",
];

async function pkeyutl(args: string[], input: Uint8Array | string): Promise<Uint8Array> {
  const result = await run("openssl", ["pkeyutl", ...args], { stdin: input });
  if (result.code !== 0) throw new Error(`openssl pkeyutl failed: ${result.stderr}`);
  return result.bytes;
}

/** Encrypts `plaintext` with `openssl pkeyutl`, OAEP SHA-256/MGF1-SHA-256; returns base64. */
export async function opensslEncrypt(publicPath: string, plaintext: string): Promise<string> {
  const bytes = await pkeyutl(
    ["-encrypt", "-pubin", "-inkey", publicPath, ...OAEP_SHA256],
    plaintext,
  );
  return bytes.toBase64();
}

/** Decrypts an OAEP SHA-256/MGF1-SHA-256 block with `openssl pkeyutl`. */
export async function opensslDecrypt(privatePath: string, ciphertext: Uint8Array): Promise<string> {
  const bytes = await pkeyutl(["-decrypt", "-inkey", privatePath, ...OAEP_SHA256], ciphertext);
  return new TextDecoder().decode(bytes);
}
