/**
 * `GET /v1/keys`: the service's public keys, without a token (public keys are public).
 * Issuers fetch the `seed-encryption` key marked `active` to encrypt seeds to, and move to
 * a new one after a rotation; `decrypt-only` keys are still accepted until they are retired.
 * Auditors take the `audit` key from here (outside the log) to check the log's checkpoints
 * with `deno task audit-verify` or `openssl pkeyutl -verify -rawin`.
 *
 * @module
 */
import { Hono } from "hono";
import { createRoute } from "@hono/zod-openapi";
import type { RouteDeps } from "./route_deps.ts";
import { jsonContent, KeysResponse } from "./schemas.ts";

/** The OpenAPI description of these routes. */
export const keysRouteSpecs = [
  createRoute({
    method: "get",
    path: "/v1/keys",
    tags: ["Keys"],
    summary: "The public keys: seed encryption (active, decrypt-only) and audit signing",
    description: "No token needed. `kid` is the lower-case hex SHA-256 of the key's SPKI DER " +
      "(`openssl pkey -pubin -in key.pem -outform DER | sha256sum`). Encrypt seeds to the " +
      "`active` seed-encryption key; `decrypt-only` keys are older ones still accepted.",
    security: [],
    responses: { 200: jsonContent(KeysResponse, "The keys, the active seed-encryption key first") },
  }),
];

/** The keys route; mounted before /v1's token check. */
export function keysRoutes(deps: RouteDeps): Hono {
  const body = { keys: deps.publishedKeys.map((key) => ({ ...key })) };
  return new Hono().get("/v1/keys", (c) => {
    // Changes only with a restart (rotation), but a cache must not outlive one.
    c.header("Cache-Control", "no-cache");
    return c.json(body, 200);
  });
}
