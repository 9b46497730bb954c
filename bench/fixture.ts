/**
 * What every benchmark process shares: a scratch folder with a fresh RSA-4096 key pair,
 * a seed encrypted to it as an issuer would send it, the codes of that seed, and the
 * relaxed environment (protections off, so the raw path is visible).
 *
 * @module
 */
import type { BenchServer } from "./servers.ts";
import { generateRsaKeyPair, importRsaPublicKey } from "../crypto/rsa_keys.ts";
import { encryptOaep } from "../crypto/rsa_oaep.ts";
import { createCodeCache } from "../crypto/code_cache.ts";
import { importHmacKey } from "../crypto/hotp.ts";
import { generateTotp } from "../crypto/totp.ts";

/** The scratch folder, the key pair and one seed. */
export interface BenchFixture {
  /** Scratch folder with `keys/`; the caller removes it. */
  work: string;
  /** The seed as `POST /decrypt-seed` takes it. */
  encryptedSeed: string;
  /** The seed's code now. */
  currentCode(): Promise<string>;
  /** A code that is not valid now (the current one plus 500,000). */
  wrongCode(): Promise<string>;
  /** Keys and cron folders, replay protection, throttling and the rate limit off. */
  relaxedEnv: Record<string, string>;
}

/** Makes the folder and the key pair (a few seconds: RSA-4096). */
export async function createFixture(): Promise<BenchFixture> {
  const work = await Deno.makeTempDir({ prefix: "pki2fa-bench-" });
  const pair = await generateRsaKeyPair(4096);
  await Deno.mkdir(`${work}/keys`);
  await Deno.writeTextFile(`${work}/keys/student_private.pem`, pair.privatePem, { mode: 0o600 });
  await Deno.writeTextFile(`${work}/keys/student_public.pem`, pair.publicPem);
  const seedHex = crypto.getRandomValues(new Uint8Array(32)).toHex();
  const encryptedSeed =
    (await encryptOaep(await importRsaPublicKey(pair.spki), new TextEncoder().encode(seedHex)))
      .toBase64();
  const codeAt = createCodeCache(await importHmacKey(Uint8Array.fromHex(seedHex)));
  const currentCode = async () => (await generateTotp(codeAt, { now: Date.now() })).code;
  return {
    work,
    encryptedSeed,
    currentCode,
    wrongCode: async () =>
      String((Number(await currentCode()) + 500_000) % 1_000_000).padStart(6, "0"),
    relaxedEnv: {
      KEYS_DIR: `${work}/keys`,
      CRON_DIR: `${work}/cron`,
      REPLAY_PROTECTION: "false",
      THROTTLE_MAX_FAILURES: "0",
      RATE_LIMIT_PER_MINUTE: "0",
    },
  };
}

/** Stores the fixture's seed in a server through `POST /decrypt-seed`. */
export async function seedServer(server: BenchServer, fixture: BenchFixture): Promise<void> {
  const response = await fetch(`${server.url}/decrypt-seed`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ encrypted_seed: fixture.encryptedSeed }),
  });
  if (response.status !== 200) {
    throw new Error(`${server.name}: seeding answered ${response.status}`);
  }
  await response.body?.cancel();
}
