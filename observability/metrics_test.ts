import assert from "node:assert/strict";
import { createMetrics, MAX_ROUTE_LABELS, methodLabel, statusLabel } from "./metrics.ts";

Deno.test("methodLabel() and statusLabel() map anything to a fixed set", () => {
  assert.deepEqual(
    ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", "TRACE", "X".repeat(9)]
      .map(methodLabel),
    ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other", "other", "other"],
  );
  assert.deepEqual([200, 204, 408, 429, 501, 418, 302, 599].map(statusLabel), [
    "200",
    "204",
    "408",
    "429",
    "501",
    "4xx",
    "3xx",
    "5xx",
  ]);
});

Deno.test("observeRequest() caps routes at MAX_ROUTE_LABELS and caps every other label itself", async () => {
  const metrics = createMetrics({ seedLoaded: () => false });
  for (let i = 0; i < 1000; i++) {
    metrics.observeRequest(`M${i}`, `/route/${i}`, 100 + (i % 500), 0.001);
  }
  const text = await metrics.registry.metrics();
  const series = text.split("\n").filter((l) => l.startsWith("pki2fa_http_requests_total{"));
  const routes = new Set(series.map((l) => /route="([^"]*)"/.exec(l)![1]));
  assert.equal(routes.size, MAX_ROUTE_LABELS + 1);
  assert.ok(routes.has("other"));
  const methods = new Set(series.map((l) => /method="([^"]*)"/.exec(l)![1]));
  assert.deepEqual([...methods], ["other"]);
  const statuses = new Set(series.map((l) => /status="([^"]*)"/.exec(l)![1]));
  assert.ok(statuses.size <= 20, [...statuses].join(" "));
  const total = series.reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
  assert.equal(total, 1000, "every request is still counted");
});

Deno.test("pki2fa_log_lines_dropped_total follows the sink's count at each scrape", async () => {
  let dropped = 0;
  const metrics = createMetrics({ seedLoaded: () => false, logLinesDropped: () => dropped });
  const sample = async () =>
    (await metrics.registry.metrics()).split("\n").find((l) =>
      l.startsWith("pki2fa_log_lines_dropped_total ")
    );
  assert.equal(await sample(), "pki2fa_log_lines_dropped_total 0");
  dropped = 7;
  assert.equal(await sample(), "pki2fa_log_lines_dropped_total 7");
  assert.equal(await sample(), "pki2fa_log_lines_dropped_total 7", "not counted twice");
  dropped = 9;
  assert.equal(await sample(), "pki2fa_log_lines_dropped_total 9");
});
