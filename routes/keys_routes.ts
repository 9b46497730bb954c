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
import type { PublishedKey, RouteDeps } from "./route_deps.ts";
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

/** A public key with its kid and PEM. */
export interface PublicKeyInfo {
  publicPem: string;
}

/** What {@linkcode publishedKeys} lists. */
export interface PublishedKeysOptions {
  /** The active seed-encryption key; its kid is `fingerprint`. */
  active: PublicKeyInfo & { fingerprint: string };
  /** The earlier, decrypt-only keys, newest first. */
  previous: readonly (PublicKeyInfo & { kid: string })[];
  /** The audit signing key, when there is an audit file. */
  audit: (PublicKeyInfo & { kid: string }) | null;
}

/** The list `GET /v1/keys` answers: the active seed key, the earlier ones, the audit key. */
export function publishedKeys(options: PublishedKeysOptions): PublishedKey[] {
  return [
    {
      kid: options.active.fingerprint,
      use: "seed-encryption",
      status: "active",
      public_key: options.active.publicPem,
    },
    ...options.previous.map((key) => ({
      kid: key.kid,
      use: "seed-encryption" as const,
      status: "decrypt-only" as const,
      public_key: key.publicPem,
    })),
    ...(options.audit === null ? [] : [{
      kid: options.audit.kid,
      use: "audit" as const,
      status: "active" as const,
      public_key: options.audit.publicPem,
    }]),
  ];
}
