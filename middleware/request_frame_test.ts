import assert from "node:assert/strict";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";
import { methodForLog } from "./request_frame.ts";

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function randomMethod(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => LETTERS[b % 26]).join("");
}

Deno.test("400 random 30 KB methods: 501 before routing, /metrics stays under 200 KB with no trace of them", async () => {
  await using t = await createAppFixture();
  const methods = Array.from({ length: 400 }, () => randomMethod(30_000));
  for (const method of methods) {
    const response = await t.app.request("/health", { method });
    assert.deepEqual(await statusAndBody(response), {
      status: 501,
      body: { error: "Method not implemented" },
    });
    assert.equal(response.headers.get("allow"), "GET, HEAD, POST, PUT, DELETE, OPTIONS");
  }
  const metrics = await (await t.call("GET", "/metrics")).text();
  assert.ok(metrics.length < 200_000, `/metrics is ${metrics.length} bytes`);
  for (const method of methods) assert.ok(!metrics.includes(method.slice(0, 16)));
  assert.match(
    metrics,
    /^pki2fa_http_requests_total\{method="other",route="unmatched",status="501"\} 400$/m,
  );
  // The access log keeps 16 characters of each, and nothing of the rest.
  const logged = t.logger.lines.filter((line) => line.includes('"status":501'));
  assert.equal(logged.length, 400);
  for (const [i, line] of logged.entries()) {
    assert.equal(JSON.parse(line).method, `${methods[i]!.slice(0, 16)}...`);
    assert.ok(line.length < 400, `log line of ${line.length} characters`);
  }
});

Deno.test("every label has a bounded value set, whatever the requests", async () => {
  await using t = await createAppFixture();
  // Request() upper-cases get, post and the other fetch methods, but not patch.
  const odd = ["patch", "PROPFIND", "M-SEARCH", "X".repeat(100)];
  for (const method of odd) {
    assert.equal((await t.app.request("/decrypt-seed", { method })).status, 501, method);
  }
  for (let i = 0; i < 300; i++) await t.call("GET", `/nope/${i}/${"z".repeat(i)}`);
  for (const method of ["PUT", "DELETE", "PATCH", "OPTIONS"]) {
    assert.equal((await t.call(method, "/generate-2fa")).status, 405);
  }
  const metrics = await (await t.call("GET", "/metrics")).text();
  const labels = (name: string) =>
    new Set([...metrics.matchAll(new RegExp(`[{,]${name}="([^"]*)"`, "g"))].map((m) => m[1]));
  for (const method of labels("method")) {
    assert.ok(
      ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"].includes(method!),
      method,
    );
  }
  assert.ok(!metrics.includes("/nope"), "raw paths never become labels");
  assert.ok(labels("route").size < 10, [...labels("route")].join(" "));
  assert.deepEqual([...labels("status")].sort(), ["404", "405", "501"]);
});

Deno.test("methodForLog() keeps 16 token characters and replaces the rest", () => {
  assert.equal(methodForLog("GET"), "GET");
  assert.equal(methodForLog("A".repeat(17)), `${"A".repeat(16)}...`);
  assert.equal(methodForLog('EVIL"\n{}'), "EVIL????");
});
