/**
 * The framework ceiling: Deno + Hono answering the benchmark's routes with constant
 * JSON (and parsing the POST bodies, as any JSON API must). Nothing a real service can do
 * is faster on this machine; the service's figures are read as a fraction of these.
 *
 * Run: deno run --allow-net --allow-env=PORT bench/hono_ceiling.ts
 */
import { Hono } from "hono";

const app = new Hono()
  .get("/health", (c) => c.json({ status: "ok" }))
  .get("/generate-2fa", (c) => c.json({ code: "123456", valid_for: 30 }))
  .post("/verify-2fa", async (c) => {
    await c.req.json();
    return c.json({ valid: false });
  })
  .post("/decrypt-seed", async (c) => {
    await c.req.json();
    return c.json({ status: "ok" });
  });

Deno.serve(
  { hostname: "127.0.0.1", port: Number(Deno.env.get("PORT") ?? "8081"), onListen() {} },
  app.fetch,
);
