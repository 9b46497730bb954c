/**
 * Crash safety: the real service posts seeds in a tight loop and is killed with SIGKILL at
 * random moments, alternating between the plain and sealed forms at rest (so every start
 * also migrates). After each restart the seed in force must be the last one acknowledged
 * with 200, or the one whose request was in flight when the process died — never an older
 * one, never a torn or empty file.
 */
import assert from "node:assert/strict";
import { importHmacKey } from "../crypto/hotp.ts";
import { generateTotp } from "../crypto/totp.ts";
import { createCodeCache } from "../crypto/code_cache.ts";
import { opensslKeyPair } from "../testing/openssl.ts";
import { startServer } from "../testing/server_process.ts";
import { encryptOaepAnySize } from "../crypto/rsa_public_any_size.ts";
import { publicKeyPemToSpki } from "../crypto/rsa_keys.ts";

const KILLS = Number(Deno.env.get("CRASH_KILLS") ?? "20");

async function codeOf(seed: string, now: number): Promise<string> {
  const codeAt = createCodeCache(await importHmacKey(Uint8Array.fromHex(seed)));
  return (await generateTotp(codeAt, { now })).code;
}

/** No seed stored yet: what a service killed before its first acknowledged POST may hold. */
const NO_SEED = "no seed";

/**
 * The candidate whose code the running service gives, {@linkcode NO_SEED} when it has none
 * (and that is among the candidates), or null.
 */
async function seedInForce(url: string, candidates: string[]): Promise<string | null> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = Date.now();
    const response = await fetch(`${url}/generate-2fa`);
    const body = await response.json();
    if (response.status === 500 && body.error === "Seed not decrypted yet") {
      return candidates.includes(NO_SEED) ? NO_SEED : null;
    }
    if (Math.floor(before / 30_000) !== Math.floor(Date.now() / 30_000)) continue; // step boundary
    for (const seed of candidates) if (await codeOf(seed, before) === body.code) return seed;
    return null;
  }
  return null;
}

Deno.test(`crash safety: ${KILLS} SIGKILLs while seeds are being posted`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "pki2fa-crash-" });
  try {
    const keysDir = `${dir}/keys`;
    await Deno.mkdir(keysDir);
    const { publicPath } = await opensslKeyPair(keysDir, { bits: 2048 });
    const spki = publicKeyPemToSpki(await Deno.readTextFile(publicPath));
    const seeds = Array.from(
      { length: 400 },
      () => crypto.getRandomValues(new Uint8Array(32)).toHex(),
    );
    const ciphertexts = await Promise.all(
      seeds.map(async (seed) =>
        (await encryptOaepAnySize(spki, new TextEncoder().encode(seed))).toBase64()
      ),
    );
    let next = 0;
    let acked: string | null = null;
    let inFlightBefore: string | null = null;
    let posted = 0;
    for (let kill = 0; kill <= KILLS; kill++) {
      const server = await startServer({
        KEYS_DIR: keysDir,
        DATA_DIR: `${dir}/data`,
        CRON_DIR: `${dir}/cron`,
        LOG_LEVEL: "error",
        RATE_LIMIT_PER_MINUTE: "0",
        SEED_AT_REST: kill % 2 === 0 ? "plain" : "sealed",
      });
      let inFlight: string | null = null;
      try {
        if (acked !== null || kill > 0) {
          // Before any acknowledged POST (a slow machine may not get one in before the first
          // kill), "no seed" is a correct state too; after one, it never is.
          const candidates = [
            acked ?? NO_SEED,
            ...(inFlightBefore === null ? [] : [inFlightBefore]),
          ];
          const found = await seedInForce(server.url, candidates);
          assert.ok(
            found !== null,
            `after kill ${kill}: the seed in force is neither the last acknowledged nor the in-flight one`,
          );
          acked = found === NO_SEED ? null : found;
        }
        if (kill === KILLS) break;
        const loop = (async () => {
          while (true) {
            const i = next++ % seeds.length;
            inFlight = seeds[i]!;
            let response: Response;
            try {
              response = await fetch(`${server.url}/decrypt-seed`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ encrypted_seed: ciphertexts[i] }),
              });
            } catch {
              return; // killed
            }
            const body = await response.text().catch(() => null);
            if (body === null) return;
            assert.equal(response.status, 200, body);
            acked = seeds[i]!;
            inFlight = null;
            posted++;
          }
        })();
        await new Promise((resolve) => setTimeout(resolve, 40 + Math.random() * 200));
        await server.stop("SIGKILL");
        await loop;
      } finally {
        await server.stop("SIGKILL");
      }
      inFlightBefore = inFlight;
    }
    assert.ok(posted >= KILLS, `only ${posted} seeds were acknowledged`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
