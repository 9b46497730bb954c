import assert from "node:assert/strict";
import { validate } from "@readme/openapi-parser";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";

Deno.test("GET /openapi.json is a valid OpenAPI 3.1 document", async () => {
  await using t = await createAppFixture();
  const response = await t.call("GET", "/openapi.json");
  assert.equal(response.status, 200);
  const document = await response.json();
  assert.equal(document.openapi, "3.1.0");
  const result = await validate(structuredClone(document));
  assert.deepEqual(result, { valid: true, warnings: [], specification: "OpenAPI" });
});

Deno.test("every route the app serves is in the OpenAPI document, with its statuses", async () => {
  await using t = await createAppFixture();
  const document = await (await t.call("GET", "/openapi.json")).json();
  const undocumented = [
    "/openapi.json",
    "/docs",
    "/docs/",
    "/docs/init.js",
    "/docs/:asset{[a-z0-9.-]+}",
  ];
  // A route with its own middleware appears once per handler: count it once.
  const served = [
    ...new Set(
      t.app.routes.filter((r) => r.method !== "ALL" && !undocumented.includes(r.path)).map((r) =>
        `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`
      ),
    ),
  ].sort();
  const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
  assert.deepEqual(documented, served);
  assert.deepEqual(
    served,
    [
      "GET /generate-2fa",
      "GET /health",
      "GET /metrics",
      "GET /ready",
      "POST /decrypt-seed",
      "POST /verify-2fa",
      "POST /v1/subjects/{id}/enroll",
      "POST /v1/subjects/{id}/export",
      "POST /v1/subjects/{id}/recovery-codes",
      "POST /v1/subjects/{id}/verify",
      "POST /v1/subjects/{id}/resync",
      "POST /v1/import/pskc",
      "PUT /v1/subjects/{id}/seed",
      "DELETE /v1/subjects/{id}",
      "GET /v1/keys",
      "GET /v1/subjects",
      "GET /v1/subjects/{id}",
      "GET /v1/subjects/{id}/code",
    ].sort(),
  );
  const statuses = (path: string, method: string) =>
    Object.keys(document.paths[path][method].responses);
  assert.deepEqual(statuses("/decrypt-seed", "post"), [
    "200",
    "400",
    "401",
    "403",
    "408",
    "409",
    "413",
    "429",
    "500",
    "503",
  ]);
  assert.deepEqual(statuses("/verify-2fa", "post"), [
    "200",
    "400",
    "403",
    "408",
    "413",
    "429",
    "500",
    "503",
  ]);
  // Every route that changes state documents the cross-site 403.
  for (const [path, methods] of Object.entries(document.paths as Record<string, object>)) {
    for (const method of Object.keys(methods).filter((m) => m !== "get")) {
      assert.ok(statuses(path, method).includes("403"), `${method} ${path} documents 403`);
    }
  }
  assert.deepEqual(statuses("/v1/subjects/{id}/seed", "put"), [
    "200",
    "201",
    "400",
    "401",
    "403",
    "408",
    "409",
    "500",
    "503",
  ]);
  assert.deepEqual(
    Object.keys(document.components.schemas.DecryptSeedRequest.properties),
    ["encrypted_seed", "signature", "issued_at"],
  );
  assert.deepEqual(
    Object.keys(document.components.schemas.Readiness.properties.checks.properties),
    ["private_key", "data_dir", "cron_dir", "state_store", "subject_store", "audit_log", "seed"],
  );
  assert.deepEqual(statuses("/generate-2fa", "get"), ["200", "401", "429", "500"]);
  assert.deepEqual(document.components.schemas.Error, {
    type: "object",
    properties: { error: { type: "string", example: "Decryption failed" } },
    required: ["error"],
  });
  const body = document.paths["/decrypt-seed"].post.requestBody.content["application/json"].schema;
  assert.deepEqual(body, { $ref: "#/components/schemas/DecryptSeedRequest" });
  assert.deepEqual(document.components.schemas.DecryptSeedRequest.required, ["encrypted_seed"]);
});

Deno.test("GET /docs serves Swagger UI from the service itself, no CDN", async () => {
  await using t = await createAppFixture();
  const page = await t.call("GET", "/docs");
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.doesNotMatch(html, /https?:\/\//, "no absolute URL to another host");
  assert.match(html, /<script src="\/docs\/swagger-ui-bundle\.js"><\/script>/);
  assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  assert.equal(page.headers.get("x-frame-options"), "DENY");
  assert.equal(page.headers.get("referrer-policy"), "no-referrer");
  const bundle = await t.call("GET", "/docs/swagger-ui-bundle.js");
  assert.equal(bundle.status, 200);
  assert.equal(bundle.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.ok((await bundle.arrayBuffer()).byteLength > 500_000);
  const init = await (await t.call("GET", "/docs/init.js")).text();
  assert.match(init, /url: "\/openapi\.json"/);
  assert.match(init, /validatorUrl: null/);
  assert.deepEqual(await statusAndBody(await t.call("GET", "/docs/package.json")), {
    status: 404,
    body: { error: "Not found" },
  });
});
