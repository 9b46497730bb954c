/**
 * Prometheus metrics (prom-client) in a registry of the service's own, so tests can
 * build as many apps as they like. Recording is cheap: counters and one histogram
 * update per request, nothing on the hot path that allocates per label set.
 *
 * Every label has a value set bounded by construction, whatever clients send: a method
 * outside {@linkcode HTTP_METHODS} is `other`, a status outside the ones the service answers
 * is its class (`4xx`), and at most {@linkcode MAX_ROUTE_LABELS} route templates are kept
 * (then `other`). prom-client keeps a series per label set forever, so one unbounded label
 * is a memory leak any client can drive (issue 12: 1,000 made-up methods cost 100 MB, and
 * one scrape 1.4 GB).
 *
 * @module
 */
import { Counter, Gauge, Registry } from "prom-client";
import { RequestMetrics, type RequestSeries } from "./request_metrics.ts";
import { stdoutSink } from "./log_sink.ts";

/** The methods the service knows; any other is answered 501 and counted as `other`. */
export const HTTP_METHODS: readonly string[] = Object.freeze([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
]);

/** Statuses the service answers, kept as they are; any other becomes its class. */
const STATUS_LABELS: ReadonlySet<number> = new Set([
  200,
  201,
  204,
  400,
  401,
  403,
  404,
  405,
  408,
  409,
  413,
  429,
  500,
  501,
  503,
]);

/** Most distinct route templates kept as labels; the app registers about twenty. */
export const MAX_ROUTE_LABELS = 64;

const KNOWN_METHODS: ReadonlySet<string> = new Set(HTTP_METHODS);

/** `method` when it is one of {@linkcode HTTP_METHODS} (case-sensitive, RFC 9110), else `other`. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : "other";
}

/** The status as a label: itself when the service answers it, else its class (`5xx`). */
export function statusLabel(status: number): string {
  return STATUS_LABELS.has(status) ? String(status) : `${Math.trunc(status / 100)}xx`;
}

/** Verification outcomes, as the verifier reports them. */
export type VerifyMetricOutcome = "valid" | "invalid" | "replay" | "locked" | "malformed";

/** The service's metrics. */
export interface Metrics {
  registry: Registry;
  /**
   * Records one answered request. Any `method`, `route` and `status` may be passed: the
   * labels are capped here (see the module documentation).
   */
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
  /** Log lines dropped so far, read at each scrape. @default {stdoutSink.dropped} */
  logLinesDropped?: () => number;
}

/** Creates the registry and every metric in it. */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const requests = new RequestMetrics(registry, {
    counter: {
      name: "pki2fa_http_requests_total",
      help: "HTTP requests answered, by method, route template and status",
    },
    histogram: {
      name: "pki2fa_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by method, route template and status",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    },
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
  const logLinesDropped = options.logLinesDropped ?? stdoutSink.dropped;
  let droppedCounted = 0;
  new Counter({
    name: "pki2fa_log_lines_dropped_total",
    help: "Log and audit lines not written to standard output because its reader fell behind",
    registers: [registry],
    collect() {
      const dropped = logLinesDropped();
      this.inc(dropped - droppedCounted);
      droppedCounted = dropped;
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

  const children = new Map<string, RequestSeries>();
  const routes = new Set<string>();
  return {
    registry,
    observeRequest(method, route, status, seconds) {
      // Series are cached by their labels: no label set is hashed on the way.
      // Only capped label sets are cached, so a value outside the fixed sets misses here
      // every time and takes the slower path below, without ever growing the cache.
      const key = `${method} ${route} ${status}`;
      let child = children.get(key);
      if (child === undefined) {
        const methodValue = methodLabel(method);
        if (!routes.has(route) && routes.size >= MAX_ROUTE_LABELS) route = "other";
        routes.add(route);
        const labels = { method: methodValue, route, status: statusLabel(status) };
        const cappedKey = `${labels.method} ${labels.route} ${labels.status}`;
        child = children.get(cappedKey);
        if (child !== undefined) return requests.observe(child, seconds);
        child = requests.series(labels);
        children.set(cappedKey, child);
      }
      requests.observe(child, seconds);
    },
    verification: (outcome) => verificationChildren[outcome].inc(),
    seedDecrypt: (outcome) => decrypts.inc({ outcome }),
    codeLogRun(result, nowMs) {
      codeLogRuns.inc({ result });
      if (result === "written") codeLogLastSuccess.set(nowMs / 1000);
    },
  };
}
