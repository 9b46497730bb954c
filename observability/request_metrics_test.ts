import assert from "node:assert/strict";
import { Counter, Histogram, Registry } from "prom-client";
import { RequestMetrics } from "./request_metrics.ts";

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const NAMES = {
  counter: { name: "t_requests_total", help: "Requests, by method, route and status" },
  histogram: { name: "t_duration_seconds", help: "Time to answer", buckets: BUCKETS },
};

/** The same observations through prom-client's own classes and through RequestMetrics. */
async function bothExpositions(
  observations: [method: string, route: string, status: string, seconds: number][],
) {
  const reference = new Registry();
  const counter = new Counter({
    ...NAMES.counter,
    labelNames: ["method", "route", "status"] as const,
    registers: [reference],
  });
  const histogram = new Histogram({
    ...NAMES.histogram,
    labelNames: ["method", "route", "status"] as const,
    registers: [reference],
  });
  const ours = new Registry();
  const metrics = new RequestMetrics(ours, NAMES);
  const series = new Map<string, ReturnType<RequestMetrics["series"]>>();
  for (const [method, route, status, seconds] of observations) {
    const labels = { method, route, status };
    counter.labels(labels).inc();
    histogram.labels(labels).observe(seconds);
    const key = `${method} ${route} ${status}`;
    if (!series.has(key)) series.set(key, metrics.series(labels));
    metrics.observe(series.get(key)!, seconds);
  }
  return {
    reference: await reference.metrics(),
    ours: await ours.metrics(),
    referenceJson: await reference.getMetricsAsJSON(),
    oursJson: await ours.getMetricsAsJSON(),
  };
}

Deno.test("RequestMetrics writes exactly what prom-client's Counter and Histogram write", async () => {
  const observations: [string, string, string, number][] = [];
  // Every bucket edge, values between them, above the last, and a label needing escapes.
  const values = [0, 0.0005, 0.0007, 0.001, 0.0049, 0.005, 0.3, 1, 1.5, 120, 0.000123456789];
  for (const [i, seconds] of values.entries()) {
    observations.push(["GET", "/health", "200", seconds]);
    observations.push(["POST", i % 2 ? "/verify-2fa" : '/a"b\\c', i % 3 ? "200" : "4xx", seconds]);
  }
  const result = await bothExpositions(observations);
  assert.equal(result.ours, result.reference);
  // As JSON text: prom-client's values also carry `exemplar: undefined` (or null), which
  // JSON drops.
  const json = (value: unknown) =>
    JSON.parse(JSON.stringify(value, (k, v) => k === "exemplar" ? undefined : v));
  assert.deepEqual(json(result.oursJson), json(result.referenceJson));
  assert.match(
    result.ours,
    /^t_duration_seconds_bucket\{le="0\.001",method="GET",route="\/health",status="200"\} 5$/m,
  );
});

Deno.test("RequestMetrics with no requests writes only the HELP and TYPE lines", async () => {
  const result = await bothExpositions([]);
  assert.equal(result.ours, result.reference);
  assert.equal(
    result.ours,
    "# HELP t_requests_total Requests, by method, route and status\n# TYPE t_requests_total counter\n\n" +
      "# HELP t_duration_seconds Time to answer\n# TYPE t_duration_seconds histogram\n",
  );
});

Deno.test("RequestMetrics reset() zeroes every series, as Registry.resetMetrics() expects", async () => {
  const registry = new Registry();
  const metrics = new RequestMetrics(registry, NAMES);
  const series = metrics.series({ method: "GET", route: "/health", status: "200" });
  metrics.observe(series, 0.002);
  registry.resetMetrics();
  assert.match(
    await registry.metrics(),
    /^t_requests_total\{method="GET",route="\/health",status="200"\} 0$/m,
  );
  metrics.observe(series, 0.002);
  assert.match(
    await registry.metrics(),
    /^t_duration_seconds_count\{method="GET",route="\/health",status="200"\} 1$/m,
  );
});
