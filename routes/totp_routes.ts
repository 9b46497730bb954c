/**
 * `GET /generate-2fa` and `POST /verify-2fa`: TOTP codes of the stored seed (SHA-1,
 * 6 digits, 30 s, ±1 step), with the clock read once per request.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { generateTotp, verifyTotp } from "../crypto/totp.ts";
import { parseJsonBody } from "./json_body.ts";
import { requireSeed, type RouteDeps } from "./deps.ts";

const VerifyBody = z.object({ code: z.string().min(1) });

/** Routes that generate and verify codes. */
export function totpRoutes(deps: RouteDeps): Hono {
  return new Hono()
    .get("/generate-2fa", async (c) => {
      const seed = requireSeed(deps.seedStore);
      const { code, validFor } = await generateTotp(seed.codeAt, { now: deps.now() });
      return c.json({ code, valid_for: validFor }, 200);
    })
    .post("/verify-2fa", async (c) => {
      // The contract checks the body before the seed.
      const { code } = await parseJsonBody(c, VerifyBody, "Missing code");
      const seed = requireSeed(deps.seedStore);
      const match = await verifyTotp(seed.codeAt, code, { now: deps.now() });
      return c.json({ valid: match !== null }, 200);
    });
}
