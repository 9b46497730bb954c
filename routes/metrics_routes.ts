/**
 * `GET /metrics`: Prometheus text format, optionally behind `METRICS_TOKEN`.
 *
 * @module
 */
import { Hono } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import { requireBearerToken } from "../middleware/bearer_auth.ts";
import type { RouteDeps } from "./route_deps.ts";
import { ErrorBody, jsonContent } from "./schemas.ts";

/** The OpenAPI description of these routes. */
export const metricsRouteSpecs = [
  createRoute({
    method: "get",
    path: "/metrics",
    tags: ["Operations"],
    summary: "Prometheus metrics (bearer METRICS_TOKEN when set)",
    security: [{ metricsToken: [] }, {}],
    responses: {
      200: {
        description: "Prometheus text exposition format 0.0.4",
        content: { "text/plain": { schema: z.string() } },
      },
      401: jsonContent(ErrorBody, "METRICS_TOKEN is set and the request does not carry it"),
    },
  }),
];

/** The metrics route. */
export function metricsRoutes(deps: RouteDeps): Hono {
  const { registry } = deps.metrics;
  return new Hono().get(
    "/metrics",
    requireBearerToken({
      token: deps.security.metricsToken,
      audit: deps.audit,
      throttle: deps.wrongTokens,
    }),
    async (c) => {
      c.header("Content-Type", registry.contentType);
      return c.body(await registry.metrics(), 200);
    },
  );
}
