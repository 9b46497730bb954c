import assert from "node:assert/strict";
import parsePrometheus from "parse-prometheus-text-format";
import { createAppFixture, statusAndBody } from "../testing/app_fixture.ts";

type Family = {
  name: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
  }[];
};

function value(families: Family[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  assert.ok(family, `metric ${name} exists`);
  const sample = family.metrics.find((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)
  );
  assert.ok(sample, `${name} ${JSON.stringify(labels)} exists`);
  return Number(sample.value);
}

Deno.test("GET /metrics parses as Prometheus text and counts what happened", async () => {
  await using t = await createAppFixture({ now: 1_764_000_015_000 });
  await t.call("POST", "/decrypt-seed", {
    encrypted_seed: await t.encrypt(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    ),
  });
  await t.call("POST", "/decrypt-seed", { encrypted_seed: "garbage" });
  await t.call("GET", "/generate-2fa");
  await t.call("POST", "/verify-2fa", { code: "557321" });
  await t.call("POST", "/verify-2fa", { code: "557321" });
  await t.call("POST", "/verify-2fa", { code: "000000" });
  await t.call("POST", "/verify-2fa", { code: "12345" });
  await t.call("GET", "/nope");
  t.metrics.codeLogRun("written", 1_764_000_060_000);
  t.metrics.codeLogRun("skipped", 1_764_000_120_000);
  const response = await t.call("GET", "/metrics");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const families = parsePrometheus(text) as Family[];
  assert.equal(
    value(families, "pki2fa_http_requests_total", {
      route: "/verify-2fa",
      status: "200",
      method: "POST",
    }),
    4,
  );
  assert.equal(
    value(families, "pki2fa_http_requests_total", { route: "/decrypt-seed", status: "500" }),
    1,
  );
  assert.equal(
    value(families, "pki2fa_http_requests_total", { route: "unmatched", status: "404" }),
    1,
  );
  // The parser types the histogram but merges its series (it drops labels after "le"),
  // so the per-series counts are read from the _count lines.
  const histogram = families.find((f) => f.name === "pki2fa_http_request_duration_seconds")!;
  assert.equal(histogram.type, "HISTOGRAM");
  const counts = [
    ...text.matchAll(/^pki2fa_http_request_duration_seconds_count\{[^}]*\} (\d+)$/gm),
  ];
  const counted = families.find((f) => f.name === "pki2fa_http_requests_total")!.metrics;
  assert.equal(counts.reduce((sum, m) => sum + Number(m[1]), 0), 8);
  assert.equal(counted.reduce((sum, m) => sum + Number(m.value), 0), 8);
  for (
    const [outcome, count] of [["valid", 1], ["replay", 1], ["invalid", 1], ["malformed", 1], [
      "locked",
      0,
    ]] as const
  ) {
    assert.equal(value(families, "pki2fa_verifications_total", { outcome }), count, outcome);
  }
  assert.equal(value(families, "pki2fa_seed_decrypts_total", { outcome: "set" }), 1);
  assert.equal(value(families, "pki2fa_seed_decrypts_total", { outcome: "rejected" }), 1);
  assert.equal(value(families, "pki2fa_code_log_runs_total", { result: "written" }), 1);
  assert.equal(value(families, "pki2fa_code_log_runs_total", { result: "skipped" }), 1);
  assert.equal(value(families, "pki2fa_code_log_last_success_timestamp_seconds"), 1_764_000_060);
  assert.equal(value(families, "pki2fa_seed_loaded"), 1);
  assert.ok(value(families, "process_start_time_seconds") > 1_700_000_000);
  assert.ok(value(families, "process_resident_memory_bytes") > 10_000_000);
});

Deno.test("METRICS_TOKEN protects /metrics", async () => {
  const token = "metrics-token-0123456789";
  await using t = await createAppFixture({ security: { metricsToken: token } });
  assert.deepEqual(await statusAndBody(await t.call("GET", "/metrics")), {
    status: 401,
    body: { error: "Unauthorized" },
  });
  const ok = await t.call("GET", "/metrics", undefined, { authorization: `Bearer ${token}` });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /^# HELP /m);
});
