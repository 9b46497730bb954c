/**
 * The folder an end-to-end test starts the real service in: a temp folder with a fresh
 * openssl key pair in `keys/`, and the variables that point the service at it. Removed
 * when disposed (`await using`), whatever the test did.
 *
 * @module
 */
import { opensslKeyPair } from "./openssl.ts";

/** A temp folder laid out for the service. */
export interface ServiceDir extends AsyncDisposable {
  dir: string;
  /** `keys/student_public.pem`: the key the service encrypts to. */
  publicPath: string;
  /** KEYS_DIR, DATA_DIR and CRON_DIR inside {@linkcode ServiceDir.dir}. */
  env: { KEYS_DIR: string; DATA_DIR: string; CRON_DIR: string };
}

/** Makes a temp folder named `prefix...` with a 2048-bit key pair in `keys/`. */
export async function serviceDir(prefix: string): Promise<ServiceDir> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await Deno.mkdir(`${dir}/keys`);
    const { publicPath } = await opensslKeyPair(`${dir}/keys`);
    return {
      dir,
      publicPath,
      env: { KEYS_DIR: `${dir}/keys`, DATA_DIR: `${dir}/data`, CRON_DIR: `${dir}/cron` },
      [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
    };
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}
