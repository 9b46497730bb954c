/**
 * The HTTP application: middleware, the routes, and the one place where errors become
 * `{"error": "..."}` responses. No stack trace or internal message reaches a client.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { cors } from "hono/cors";
import type { AuditLog } from "./audit.ts";
import type { Logger } from "./logger.ts";
import type { SeedStore } from "./store/seed_store.ts";
import { SeedStoreError } from "./store/seed_store.ts";
import type { StateStore } from "./store/state_store.ts";
import { clientAddress } from "./routes/client_address.ts";
import { DEFAULT_SECURITY, type RouteDeps, type SecurityOptions } from "./routes/deps.ts";
import { rateLimit } from "./routes/rate_limit.ts";
import { healthRoutes } from "./routes/health_routes.ts";
import { seedRoutes } from "./routes/seed_routes.ts";
import { totpRoutes } from "./routes/totp_routes.ts";

/** Largest accepted request body; an encrypted seed is under 1 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

/** What {@linkcode createApp} needs. */
export interface AppDeps {
  /** RSA-OAEP (SHA-256) private key of the service. */
  privateKey: CryptoKey;
  seedStore: SeedStore;
  stateStore: StateStore;
  logger: Logger;
  audit: AuditLog;
  /** Security settings. @default {DEFAULT_SECURITY} */
  security?: Partial<SecurityOptions>;
  /** The clock, in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** Builds the application. */
export function createApp(deps: AppDeps): Hono {
  const security: SecurityOptions = { ...DEFAULT_SECURITY, ...deps.security };
  const routeDeps: RouteDeps = { ...deps, security, now: deps.now ?? Date.now };
  const { logger } = deps;
  const app = new Hono();

  app.use(requestId());
  app.use(clientAddress({ trustProxy: security.trustProxy }));
  app.use(async function accessLog(c, next) {
    const start = performance.now();
    await next();
    logger.info("request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - start) * 100) / 100,
    });
  });
  app.use(secureHeaders());
  app.use(async function noStore(c, next) {
    await next();
    // Codes and seed status must never sit in a shared or browser cache.
    c.header("Cache-Control", "no-store");
  });
  if (security.corsOrigins.length > 0) {
    app.use(cors({
      origin: [...security.corsOrigins],
      allowMethods: ["GET", "POST"],
      allowHeaders: ["Content-Type", "Authorization", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "Retry-After"],
      maxAge: 600,
    }));
  }
  app.use(rateLimit({
    store: deps.stateStore,
    audit: deps.audit,
    perMinute: security.rateLimitPerMinute,
    now: routeDeps.now,
  }));
  app.use(bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json({ error: "Request body too large" }, 413),
  }));

  app.route("/", healthRoutes());
  app.route("/", seedRoutes(routeDeps));
  app.route("/", totpRoutes(routeDeps));

  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length > 0) {
      c.header("Allow", allowed.join(", "));
      return c.json({ error: "Method not allowed" }, 405);
    }
    return c.json({ error: "Not found" }, 404);
  });
  app.onError((error, c) => errorResponse(c, error, logger));
  return app;
}

/** Methods registered for a path (static paths only, which is all the service has). */
function allowedMethods(app: Hono, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method !== "ALL" && route.path === path) methods.add(route.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

/** Maps every error to a response: the one place HTTP statuses meet domain errors. */
function errorResponse(c: Context, error: Error, logger: Logger): Response {
  const requestIdValue = c.get("requestId");
  if (error instanceof HTTPException) {
    if (error.status >= 500) {
      logger.warn("Request failed", { requestId: requestIdValue, error: error.message });
    }
    return c.json({ error: error.message }, error.status as ContentfulStatusCode);
  }
  if (error instanceof SeedStoreError) {
    return c.json({ error: "Could not store the seed" }, 500);
  }
  logger.error("Unexpected error", { requestId: requestIdValue, error: error.name });
  return c.json({ error: "Internal server error" }, 500);
}
