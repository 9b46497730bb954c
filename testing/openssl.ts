/**
 * Key and ciphertext fixtures made by OpenSSL, so that tests check our code against a
 * tool no one here wrote.
 *
 * @module
 */
import { run, runOk } from "./command.ts";
import { publicKeyPemToSpki, type RsaKeyPairPem } from "../crypto/rsa_keys.ts";

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
export function opensslDecryptBytes(
  privatePath: string,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  return pkeyutl(["-decrypt", "-inkey", privatePath, ...OAEP_SHA256], ciphertext);
}

/** {@linkcode opensslDecryptBytes} decoded as UTF-8 text. */
export async function opensslDecrypt(privatePath: string, ciphertext: Uint8Array): Promise<string> {
  return new TextDecoder().decode(await opensslDecryptBytes(privatePath, ciphertext));
}

/** Path of the committed 8192-bit test key pair that stands in for the instructor's. */
export const INSTRUCTOR_8192 = {
  privatePath: new URL("./fixtures/instructor_8192_private.pem", import.meta.url).pathname,
  publicPath: new URL("./fixtures/instructor_8192_public.pem", import.meta.url).pathname,
};

const PSS_SHA256_MAX_SALT = [
  "-pkeyopt",
  "rsa_padding_mode:pss",
  "-pkeyopt",
  "rsa_pss_saltlen:max",
  "-pkeyopt",
  "digest:sha256",
  "-pkeyopt",
  "rsa_mgf1_md:sha256",
];

/** Signs SHA-256(message) with RSA-PSS, maximum salt, by `openssl pkeyutl -sign`. */
export async function opensslSignPss(
  privatePath: string,
  message: Uint8Array | string,
): Promise<Uint8Array> {
  const digest = new Uint8Array(
    await crypto.subtle.digest(
      "SHA-256",
      typeof message === "string" ? new TextEncoder().encode(message) : new Uint8Array(message),
    ),
  );
  return await pkeyutl(["-sign", "-inkey", privatePath, ...PSS_SHA256_MAX_SALT], digest);
}

/** Verifies an RSA-PSS (SHA-256, any salt) signature with `openssl pkeyutl -verify`. */
export async function opensslVerifyPss(
  publicPath: string,
  message: Uint8Array | string,
  signature: Uint8Array,
): Promise<boolean> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/sig`, signature);
    const digest = new Uint8Array(
      await crypto.subtle.digest(
        "SHA-256",
        typeof message === "string" ? new TextEncoder().encode(message) : new Uint8Array(message),
      ),
    );
    const result = await run("openssl", [
      "pkeyutl",
      "-verify",
      "-pubin",
      "-inkey",
      publicPath,
      "-sigfile",
      `${dir}/sig`,
      "-pkeyopt",
      "rsa_padding_mode:pss",
      "-pkeyopt",
      "rsa_pss_saltlen:auto",
      "-pkeyopt",
      "digest:sha256",
      "-pkeyopt",
      "rsa_mgf1_md:sha256",
    ], { stdin: digest });
    return result.code === 0 && result.stdout.includes("Signature Verified Successfully");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A key pair made by `openssl genpkey`, as the PEM texts the app fixture takes: RSA-4096
 * in about a second, where WebCrypto's generator can take ten on a busy machine.
 */
export async function opensslKeyPairPem(bits: number): Promise<RsaKeyPairPem> {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-keys-" });
  try {
    const paths = await opensslKeyPair(dir, { bits });
    const publicPem = await Deno.readTextFile(paths.publicPath);
    return {
      privatePem: await Deno.readTextFile(paths.privatePath),
      publicPem,
      spki: publicKeyPemToSpki(publicPem),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** SHA-256 (hex) of a public key's SPKI DER, computed by openssl alone. */
export async function opensslSpkiSha256(publicPath: string): Promise<string> {
  const der = await run("openssl", ["pkey", "-pubin", "-in", publicPath, "-outform", "DER"]);
  if (der.code !== 0) throw new Error(`openssl pkey failed: ${der.stderr}`);
  const digest = await run("openssl", ["dgst", "-sha256", "-r"], { stdin: der.bytes });
  return digest.stdout.split(" ")[0]!;
}

/**
 * Signs `message` with `openssl dgst -sign`, RSA-PSS SHA-256 with the maximum salt (the
 * other openssl path besides {@linkcode opensslSignPss}); returns base64.
 */
export async function opensslDgstSignPss(privatePath: string, message: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/message`, message);
    await runOk("openssl", [
      "dgst",
      "-sha256",
      "-sign",
      privatePath,
      "-sigopt",
      "rsa_padding_mode:pss",
      "-sigopt",
      "rsa_pss_saltlen:max",
      "-out",
      `${dir}/sig`,
      `${dir}/message`,
    ]);
    return (await Deno.readFile(`${dir}/sig`)).toBase64();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
