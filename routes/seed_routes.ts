/**
 * `POST /decrypt-seed`: the PKI half of the exchange. The seed arrives RSA-OAEP
 * encrypted to the service's public key and is stored only after it decrypts to
 * exactly 64 hex characters.
 *
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { decryptOaep } from "../crypto/rsa_oaep.ts";
import { parseSeedHex } from "../store/seed_store.ts";
import { parseJsonBody } from "./json_body.ts";
import type { RouteDeps } from "./deps.ts";

const DecryptSeedBody = z.object({ encrypted_seed: z.string().min(1) });

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes, decrypts and checks a seed; any failure is one generic error. */
async function decryptSeed(privateKey: CryptoKey, encryptedSeed: string): Promise<string> {
  try {
    // fromBase64 skips ASCII whitespace, so PEM-style line breaks are fine.
    const plaintext = await decryptOaep(privateKey, Uint8Array.fromBase64(encryptedSeed));
    const hex = parseSeedHex(utf8.decode(plaintext));
    if (hex !== null) return hex;
  } catch {
    // fall through: the cause must not change the answer (no padding oracle)
  }
  throw new HTTPException(500, { message: "Decryption failed" });
}

/** Routes that receive the seed. */
export function seedRoutes(deps: RouteDeps): Hono {
  return new Hono().post("/decrypt-seed", async (c) => {
    const body = await parseJsonBody(c, DecryptSeedBody, "Missing encrypted_seed");
    const hex = await decryptSeed(deps.privateKey, body.encrypted_seed);
    const outcome = await deps.seedStore.replace(hex);
    deps.logger.info(outcome === "set" ? "Seed stored" : "Seed unchanged", {
      requestId: c.get("requestId"),
    });
    return c.json({ status: "ok" }, 200);
  });
}
