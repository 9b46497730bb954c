/**
 * The HTTP application: middleware, the routes, the OpenAPI document generated from the
 * routes' zod schemas, and the one place where errors become `{"error": "..."}`
 * responses. No stack trace or internal message reaches a client.
 *
 * @module
 */
import type { Context } from "hono";
import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "./observability/logger.ts";
import { SeedStoreError } from "./store/seed_store.ts";
import { StateStoreUnavailableError } from "./store/state_store.ts";
import { DataKeyNotStoredError } from "./store/data_key.ts";
import { DEFAULT_SECURITY, type RouteDeps, type SecurityOptions } from "./routes/route_deps.ts";
import { docsRoutes } from "./routes/docs_routes.ts";
import { healthRoutes, healthRouteSpecs } from "./routes/health_routes.ts";
import { metricsRoutes, metricsRouteSpecs } from "./routes/metrics_routes.ts";
import { bodyGuard } from "./middleware/body_guard.ts";
import { WrongTokenThrottle } from "./middleware/wrong_token_throttle.ts";
import { rateLimit } from "./middleware/rate_limit.ts";
import { requestFrame } from "./middleware/request_frame.ts";
import { seedRoutes, seedRouteSpecs } from "./routes/seed_routes.ts";
import { totpRoutes, totpRouteSpecs } from "./routes/totp_routes.ts";
import { v1Routes, v1RouteSpecs } from "./routes/v1_routes.ts";
import { hotpRoutes, hotpRouteSpecs } from "./routes/hotp_subjects.ts";
import {
  PSKC_IMPORT_PATH,
  pskcImportRoutes,
  pskcImportRouteSpecs,
} from "./routes/pskc_import_routes.ts";
import { keysRoutes, keysRouteSpecs } from "./routes/keys_routes.ts";
import { RecentAuditLog } from "./observability/recent_audit.ts";
import { adminRoutes } from "./routes/admin/admin_routes.tsx";

/** Largest accepted request body; an encrypted seed is under 1 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

/** What {@linkcode createApp} needs: the routes' dependencies, with defaults for the rest. */
export interface AppDeps extends Omit<RouteDeps, "security" | "now"> {
  /** Security settings. @default {DEFAULT_SECURITY} */
  security?: Partial<SecurityOptions>;
  /** The clock, in milliseconds. @default {Date.now} */
  now?: () => number;
  /** Which state store `stateStore` is (`STATE_STORE`), for the admin console. @default {"kv"} */
  stateStoreKind?: "kv" | "redis";
}

/** Builds the application. */
export function createApp(deps: AppDeps): OpenAPIHono {
  const security: SecurityOptions = { ...DEFAULT_SECURITY, ...deps.security };
  const now = deps.now ?? Date.now;
  // With the admin console on, every audit event also goes into the ring its service page
  // shows: one array write per event.
  const recentAudit = security.adminToken === null ? null : new RecentAuditLog(deps.audit, { now });
  const audit = recentAudit ?? deps.audit;
  const routeDeps: RouteDeps = {
    ...deps,
    audit,
    security,
    now,
    wrongTokens: deps.wrongTokens ?? new WrongTokenThrottle({ store: deps.stateStore, now }),
  };
  const { logger, metrics } = deps;
  const app = new OpenAPIHono();

  app.use(requestFrame({
    logger,
    metrics,
    audit,
    trustProxy: security.trustProxy,
    corsOrigins: security.corsOrigins,
    allowedHosts: security.allowedHosts ?? null,
  }));
  if (security.corsOrigins.length > 0) {
    app.use(cors({
      origin: [...security.corsOrigins],
      allowMethods: ["GET", "POST"],
      allowHeaders: ["Content-Type", "Authorization", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "Retry-After"],
      maxAge: 600,
    }));
  }
  if (security.rateLimitPerMinute > 0) {
    app.use(rateLimit({
      store: deps.stateStore,
      audit,
      perMinute: security.rateLimitPerMinute,
      now: routeDeps.now,
    }));
  }
  const limit = bodyGuard({ maxBytes: MAX_BODY_BYTES, message: "Request body too large" });
  // PSKC files hold many tokens: that route has its own 1 MB limit.
  app.use((c, next) => c.req.path === PSKC_IMPORT_PATH ? next() : limit(c, next));

  app.route("/", healthRoutes(routeDeps));
  app.route("/", seedRoutes(routeDeps));
  app.route("/", totpRoutes(routeDeps));
  app.route("/", metricsRoutes(routeDeps));
  app.route("/", docsRoutes());
  // Before /v1's token check: public keys are public.
  app.route("/", keysRoutes(routeDeps));
  app.route("/", v1Routes(routeDeps));
  // After v1Routes, whose /v1/* middleware (tokens and roles) guards these too.
  app.route("/", hotpRoutes(routeDeps));
  app.route("/", pskcImportRoutes(routeDeps));
  if (recentAudit !== null) {
    // Only with ADMIN_TOKEN (404 otherwise). Its middleware is registered on /admin/* only,
    // so no API request runs any of it.
    app.route(
      "/",
      adminRoutes({
        ...routeDeps,
        recentAudit,
        stateStoreKind: deps.stateStoreKind ?? "kv",
      }),
    );
  }
  describeApi(app);

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

/**
 * Registers every route's description and serves the document at `/openapi.json`.
 *
 * The handlers parse bodies themselves instead of through the library's validator: the
 * contract reads JSON whatever the Content-Type (`curl -d` sends a form type) and has one
 * message per route for every bad body, which the validator middleware cannot express. The
 * same zod schemas describe and parse, so the document cannot drift from the code.
 */
function describeApi(app: OpenAPIHono): void {
  const specs = [
    ...seedRouteSpecs,
    ...totpRouteSpecs,
    ...healthRouteSpecs,
    ...metricsRouteSpecs,
    ...keysRouteSpecs,
    ...v1RouteSpecs,
    ...hotpRouteSpecs,
    ...pskcImportRouteSpecs,
  ];
  for (const spec of specs) {
    app.openAPIRegistry.registerPath(spec);
  }
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "ADMIN_TOKEN, when the service sets one",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "verifyToken", {
    type: "http",
    scheme: "bearer",
    description: "One of VERIFY_TOKENS: verify and read metadata on /v1",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "metricsToken", {
    type: "http",
    scheme: "bearer",
    description: "METRICS_TOKEN, when the service sets one",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "pki-2fa",
      version: "1.0.0",
      description:
        "PKI-based two-factor authentication: an RSA-OAEP seed exchange and TOTP codes (RFC 6238). " +
        'Every error body is {"error": "..."}. Any route answers 501 {"error": "Method not implemented"} ' +
        "to a method outside GET, HEAD, POST, PUT, DELETE, PATCH and OPTIONS, and 405 to a known " +
        "method the route does not take.",
    },
  });
}

/** A route pattern (`/v1/subjects/:id`, `/docs/:asset{[a-z.-]+}`) as a regular expression. */
function patternRegExp(pattern: string): RegExp {
  const source = pattern.split("/").map((part) => {
    const param = /^:\w+(?:\{(.+)\})?$/.exec(part);
    if (param) return param[1] ? `(?:${param[1]})` : "[^/]+";
    return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }).join("/");
  return new RegExp(`^${source}$`);
}

/** Methods registered for a path, so a wrong method gets 405 with `Allow`. */
function allowedMethods(app: OpenAPIHono, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method !== "ALL" && patternRegExp(route.path).test(path)) methods.add(route.method);
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
  if (error instanceof DataKeyNotStoredError) {
    // The store lost its data and holds another data key: refused rather than sealed
    // under a key no restart could open (logged by the data key).
    return c.json({ error: error.message }, 503);
  }
  if (error instanceof StateStoreUnavailableError) {
    // A dependency is down: a fast, clear answer; the cause is logged, never sent.
    logger.warn("State store unavailable", {
      requestId: requestIdValue,
      error: error.cause instanceof Error ? error.cause.name : "unknown",
    });
    return c.json({ error: "State store unavailable" }, 503);
  }
  logger.error("Unexpected error", { requestId: requestIdValue, error: error.name });
  return c.json({ error: "Internal server error" }, 500);
}
