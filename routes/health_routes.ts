import { Hono } from "hono";

/** `GET /health`: liveness — the process answers HTTP. */
export function healthRoutes(): Hono {
  return new Hono().get("/health", (c) => c.json({ status: "ok" }, 200));
}
