/**
 * The per-request series (`pki2fa_http_requests_total` and
 * `pki2fa_http_request_duration_seconds`) kept as plain numbers and turned into
 * prom-client's form only when scraped. prom-client hashes and validates the label set on
 * every `inc()` and `observe()`, even through a bound child, which cost about 5% of the CPU
 * of a request (bench/README.md); here a request adds to a series it already holds.
 *
 * The exposition is the one prom-client's own Counter and Histogram write for the same
 * observations, line for line (request_metrics_test.ts compares them).
 *
 * @module
 */
import type { Metric, Registry } from "prom-client";

/** The labels of a request series. */
export interface RequestLabels {
  method: string;
  route: string;
  status: string;
}

/** One label set's counts. */
export interface RequestSeries {
  readonly labels: Readonly<RequestLabels>;
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last one is `+Inf`. */
  readonly buckets: number[];
}

/** Options for {@linkcode RequestMetrics}. */
export interface RequestMetricsOptions {
  counter: { name: string; help: string };
  histogram: { name: string; help: string; buckets: readonly number[] };
}

/** One value as prom-client's registry formats it. */
interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** Request counts and durations, registered in a prom-client registry. */
export class RequestMetrics {
  #bounds: readonly number[];
  #series: RequestSeries[] = [];

  constructor(registry: Registry, options: RequestMetricsOptions) {
    this.#bounds = options.histogram.buckets;
    const { counter, histogram } = options;
    this.#register(
      registry,
      counter.name,
      counter.help,
      "counter",
      () => this.#series.map((s) => ({ labels: { ...s.labels }, value: s.count })),
    );
    this.#register(
      registry,
      histogram.name,
      histogram.help,
      "histogram",
      () => this.#histogramValues(histogram.name),
    );
  }

  /** A new series for `labels`; the caller keeps it and {@linkcode observe}s into it. */
  series(labels: RequestLabels): RequestSeries {
    const series = {
      labels: Object.freeze({ ...labels }),
      count: 0,
      sum: 0,
      buckets: new Array<number>(this.#bounds.length + 1).fill(0),
    };
    this.#series.push(series);
    return series;
  }

  /** Counts one request of `seconds` in `series`. */
  observe(series: RequestSeries, seconds: number): void {
    series.count++;
    series.sum += seconds;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    series.buckets[i]!++;
  }

  #histogramValues(name: string): MetricValue[] {
    const values: MetricValue[] = [];
    for (const s of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += s.buckets[i]!;
        values.push({
          labels: { le, ...s.labels },
          value: cumulative,
          metricName: `${name}_bucket`,
        });
      });
      values.push(
        { labels: { le: "+Inf", ...s.labels }, value: s.count, metricName: `${name}_bucket` },
        { labels: { ...s.labels }, value: s.sum, metricName: `${name}_sum` },
        { labels: { ...s.labels }, value: s.count, metricName: `${name}_count` },
      );
    }
    return values;
  }

  /** Registers a metric object of the shape the registry reads (`get`, `reset`). */
  #register(
    registry: Registry,
    name: string,
    help: string,
    type: "counter" | "histogram",
    values: () => MetricValue[],
  ): void {
    const metric = {
      name,
      help,
      type,
      aggregator: "sum",
      get: () => Promise.resolve({ name, help, type, values: values(), aggregator: "sum" }),
      reset: () => {
        for (const s of this.#series) {
          s.count = 0;
          s.sum = 0;
          s.buckets.fill(0);
        }
      },
    };
    // The registry only calls get() and reset(); the cast stands for prom-client's classes.
    registry.registerMetric(metric as unknown as Metric);
  }
}
