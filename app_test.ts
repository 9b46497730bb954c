import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "./testing/app_fixture.ts";

Deno.test("GET /health answers 200 ok", async () => {
  await using t = await createAppFixture();
  assert.deepEqual(await statusAndBody(await t.call("GET", "/health")), {
    status: 200,
    body: { status: "ok" },
  });
});

Deno.test("every route fits Hono's RegExpRouter, so no request pays for the TrieRouter", async () => {
  await using t = await createAppFixture();
  // SmartRouter picks its router at the first request and names itself after it.
  await t.call("GET", "/health");
  assert.equal((t.app.router as { name: string }).name, "SmartRouter + RegExpRouter");
  assert.deepEqual(
    [await t.call("GET", "/docs/init.js"), await t.call("GET", "/docs/nope.js")].map((
      r,
    ) => [r.status, r.headers.get("content-type")]),
    [[200, "text/javascript; charset=utf-8"], [404, "application/json"]],
  );
});

Deno.test("unknown routes are 404 and wrong methods 405 with Allow, in the error shape", async () => {
  await using t = await createAppFixture();
  for (const path of ["/", "/nope", "/decrypt-seed/extra", "/HEALTH"]) {
    assert.deepEqual(await statusAndBody(await t.call("GET", path)), {
      status: 404,
      body: { error: "Not found" },
    }, path);
  }
  const cases: [string, string, string][] = [
    ["GET", "/decrypt-seed", "POST"],
    ["PUT", "/verify-2fa", "POST"],
    ["POST", "/generate-2fa", "GET, HEAD"],
    ["DELETE", "/health", "GET, HEAD"],
  ];
  for (const [method, path, allow] of cases) {
    const response = await t.call(method, path);
    assert.equal(response.headers.get("allow"), allow, `${method} ${path}`);
    assert.deepEqual(await statusAndBody(response), {
      status: 405,
      body: { error: "Method not allowed" },
    });
  }
});

Deno.test("responses carry a request id, no-store and the secure headers", async () => {
  await using t = await createAppFixture();
  const response = await t.app.request("/health", { headers: { "X-Request-Id": "trace-123" } });
  assert.equal(response.headers.get("x-request-id"), "trace-123");
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  assert.equal(
    response.headers.get("content-security-policy"),
    "default-src 'none'; frame-ancestors 'none'",
  );
  // The browser-page headers are for the docs page, not for JSON.
  assert.equal(response.headers.get("x-frame-options"), null);
  const generated = (await t.call("GET", "/health")).headers.get("x-request-id");
  assert.match(generated ?? "", /^[0-9a-f-]{36}$/);
  const line = JSON.parse(t.logger.lines.find((l) => l.includes("trace-123"))!);
  assert.deepEqual({ ...line, time: 0, durationMs: 0 }, {
    time: 0,
    level: "info",
    msg: "request",
    requestId: "trace-123",
    client: "unknown",
    method: "GET",
    route: "/health",
    path: "/health",
    status: 200,
    durationMs: 0,
  });
});

Deno.test("an unexpected error is a generic 500 with no internal detail", async () => {
  await using t = await createAppFixture();
  // Break the store so that the seed write throws something the app did not expect.
  Object.defineProperty(t.store, "replace", {
    value: () => Promise.reject(new Error("secret internal detail at /very/private/path")),
  });
  const response = await t.call("POST", "/decrypt-seed", {
    encrypted_seed: await t.encrypt("ab".repeat(32)),
  });
  const text = await response.text();
  assert.equal(response.status, 500);
  assert.equal(text, '{"error":"Internal server error"}');
  assert.ok(!t.logger.lines.join("\n").includes("secret internal detail"));
});

Deno.test("a whole request cycle logs no seed, code, token or ciphertext", async () => {
  const token = "admin-token-for-log-test-0123";
  const seed = "9f".repeat(32);
  await using t = await createAppFixture({ security: { adminToken: token } });
  const auth = { authorization: `Bearer ${token}` };
  const encrypted = await t.encrypt(seed);
  assert.equal(
    (await t.call("POST", "/decrypt-seed", { encrypted_seed: encrypted }, auth)).status,
    200,
  );
  const { code } = await (await t.call("GET", "/generate-2fa", undefined, auth)).json();
  assert.equal((await t.call("POST", "/verify-2fa", { code })).status, 200);
  assert.equal((await t.call("POST", "/verify-2fa", { code })).status, 200);
  assert.equal(
    (await t.call("POST", "/decrypt-seed", { encrypted_seed: "bad" }, auth)).status,
    500,
  );
  assert.equal(
    (await t.call("GET", "/generate-2fa", undefined, {
      authorization: "Bearer guess-0123456789abc",
    })).status,
    401,
  );
  const everything = t.logger.lines.join("\n") + JSON.stringify(t.audit.events);
  assert.equal(t.logger.lines.length, 6 + 2, "six access lines, seed stored, one failure");
  for (const secret of [seed, code, token, "guess-0123456789abc", encrypted.slice(0, 32)]) {
    assert.ok(!everything.includes(secret), `a secret reached the logs: ${secret.slice(0, 6)}…`);
  }
});
