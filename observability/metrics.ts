/**
 * Prometheus metrics (prom-client) in a registry of the service's own, so tests can
 * build as many apps as they like. Recording is cheap: counters and one histogram
 * update per request, nothing on the hot path that allocates per label set.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Verification outcomes, as the verifier reports them. */
export type VerifyMetricOutcome = "valid" | "invalid" | "replay" | "locked" | "malformed";

/** The service's metrics. */
export interface Metrics {
  registry: Registry;
  /** Records one answered request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  verification(outcome: VerifyMetricOutcome): void;
  seedDecrypt(outcome: "set" | "unchanged" | "rejected"): void;
  /** Records a code-log run; `written` sets the time of the last success. */
  codeLogRun(result: "written" | "skipped" | "failed", nowMs: number): void;
}

/** Options for {@linkcode createMetrics}. */
export interface MetricsOptions {
  /** Whether a seed is loaded, read at each scrape. */
  seedLoaded: () => boolean;
  /** Process start, in milliseconds. @default {performance.timeOrigin} */
  startTimeMs?: number;
}

/** Creates the registry and every metric in it. */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const requests = new Counter({
    name: "pki2fa_http_requests_total",
    help: "HTTP requests answered, by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "pki2fa_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const verifications = new Counter({
    name: "pki2fa_verifications_total",
    help: "Code verifications by outcome (valid, invalid, replay, locked, malformed)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const decrypts = new Counter({
    name: "pki2fa_seed_decrypts_total",
    help: "Seed submissions by outcome (set, unchanged, rejected)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const codeLogRuns = new Counter({
    name: "pki2fa_code_log_runs_total",
    help: "Runs of the per-minute code log by result (written, skipped: no seed, failed)",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const codeLogLastSuccess = new Gauge({
    name: "pki2fa_code_log_last_success_timestamp_seconds",
    help: "Unix time of the last line written to the code log",
    registers: [registry],
  });
  new Gauge({
    name: "pki2fa_seed_loaded",
    help: "1 when a seed is loaded, else 0",
    registers: [registry],
    collect() {
      this.set(options.seedLoaded() ? 1 : 0);
    },
  });
  new Gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process since the Unix epoch, in seconds",
    registers: [registry],
  }).set(Math.floor((options.startTimeMs ?? performance.timeOrigin) / 1000));
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes",
    registers: [registry],
    collect() {
      this.set(Deno.memoryUsage().rss);
    },
  });
  // Children bound once: prom-client hashes (and sorts) a label object on every call.
  const verificationChildren = Object.fromEntries(
    (["valid", "invalid", "replay", "locked", "malformed"] as const).map((outcome) => {
      const child = verifications.labels({ outcome });
      child.inc(0);
      return [outcome, child];
    }),
  ) as Record<VerifyMetricOutcome, { inc(): void }>;
  for (const outcome of ["set", "unchanged", "rejected"]) decrypts.inc({ outcome }, 0);
  for (const result of ["written", "skipped", "failed"]) codeLogRuns.inc({ result }, 0);

  const children = new Map<string, {
    requests: { inc(): void };
    duration: { observe(value: number): void };
  }>();
  return {
    registry,
    observeRequest(method, route, status, seconds) {
      // Label children are cached: hashing the label set on every request is the cost.
      const key = `${method} ${route} ${status}`;
      let child = children.get(key);
      if (child === undefined) {
        const labels = { method, route, status: String(status) };
        child = { requests: requests.labels(labels), duration: duration.labels(labels) };
        children.set(key, child);
      }
      child.requests.inc();
      child.duration.observe(seconds);
    },
    verification: (outcome) => verificationChildren[outcome].inc(),
    seedDecrypt: (outcome) => decrypts.inc({ outcome }),
    codeLogRun(result, nowMs) {
      codeLogRuns.inc({ result });
      if (result === "written") codeLogLastSuccess.set(nowMs / 1000);
    },
  };
}
