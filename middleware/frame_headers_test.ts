import assert from "node:assert/strict";
import { Hono } from "hono";
import { frameHeaders, type HeaderPair } from "./frame_headers.ts";

const FRAME: HeaderPair[] = [["X-Request-Id", "r-1"], ["Cache-Control", "no-store"]];

function app(): Hono {
  const hono = new Hono();
  hono.use(async (c, next) => {
    const finish = frameHeaders(c, FRAME);
    await next();
    finish(c.res);
  });
  hono.get("/json", (c) => c.json({ ok: true }, 201));
  hono.get("/json-default", (c) => c.json({ ok: true }));
  hono.get("/retry", (c) => {
    c.header("Retry-After", "30");
    return c.json({ error: "Too many attempts" }, 429);
  });
  hono.get("/own-cache", (c) => {
    c.header("Cache-Control", "public, max-age=60");
    return c.body("asset");
  });
  hono.get("/body", (c) => c.body(null, 204));
  hono.get(
    "/typed-body",
    (c) => c.body("{}", 200, { "Content-Type": "application/json", "Cache-Control": "private" }),
  );
  hono.get("/json-headers", (c) => c.json({ a: 1 }, 200, { "X-Extra": "1" }));
  hono.get("/throws", () => {
    throw new Error("boom");
  });
  hono.onError((_error, c) => c.json({ error: "Internal server error" }, 500));
  return hono;
}

async function answer(path: string, method = "GET") {
  const response = await app().request(path, { method });
  const body = await response.text();
  return { status: response.status, body, headers: Object.fromEntries(response.headers) };
}

Deno.test("frameHeaders(): c.json() without headers of its own gets the frame's in one step", async () => {
  assert.deepEqual(await answer("/json"), {
    status: 201,
    body: '{"ok":true}',
    headers: {
      "cache-control": "no-store",
      "content-type": "application/json",
      "x-request-id": "r-1",
    },
  });
  assert.equal((await answer("/json-default")).status, 200);
});

Deno.test("frameHeaders(): a handler's own headers go beside the frame's, and override them", async () => {
  assert.deepEqual((await answer("/retry")).headers, {
    "cache-control": "no-store",
    "content-type": "application/json",
    "retry-after": "30",
    "x-request-id": "r-1",
  });
  assert.deepEqual((await answer("/own-cache")).headers, {
    "cache-control": "public, max-age=60",
    "content-type": "text/plain;charset=UTF-8",
    "x-request-id": "r-1",
  });
  assert.deepEqual((await answer("/typed-body")).headers, {
    "cache-control": "private",
    "content-type": "application/json",
    "x-request-id": "r-1",
  });
  assert.deepEqual((await answer("/json-headers")).headers, {
    "cache-control": "no-store",
    "content-type": "application/json",
    "x-extra": "1",
    "x-request-id": "r-1",
  });
});

Deno.test("frameHeaders(): answers made another way, errors and HEAD carry the frame's headers", async () => {
  assert.deepEqual(await answer("/body"), {
    status: 204,
    body: "",
    headers: { "cache-control": "no-store", "x-request-id": "r-1" },
  });
  assert.deepEqual(await answer("/throws"), {
    status: 500,
    body: '{"error":"Internal server error"}',
    headers: {
      "cache-control": "no-store",
      "content-type": "application/json",
      "x-request-id": "r-1",
    },
  });
  const head = await answer("/json", "HEAD");
  assert.deepEqual([head.status, head.body, head.headers["x-request-id"]], [201, "", "r-1"]);
});
