import type { Metric, Registry } from 'prom-client';

/** Seconds; fits statement durations (sub-millisecond SQLite lookups to multi-second reports). */
export const QUERY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

interface Series {
  labels: Record<string, string>;
  /** Non-cumulative counts per bucket, plus one for +Inf; made cumulative only when scraped. */
  counts: Float64Array;
  sum: number;
}

/**
 * A Prometheus histogram for durations recorded on every query (statement time, pool waits and
 * holds). prom-client's Histogram hashes its labels on each observe (~0.2 µs, more than the rest of
 * the slow-query log together), so the hot path here is an array increment on a series resolved
 * once; prom-client still renders it.
 */
export class DurationHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, Series>();
  readonly #buckets: readonly number[];

  constructor(name: string, help: string, buckets: readonly number[] = QUERY_BUCKETS) {
    this.name = name;
    this.help = help;
    this.#buckets = buckets;
  }

  /** Registers once per registry; later calls with the same name share the first instance. */
  static on(registry: Registry, name: string, help: string, buckets: readonly number[] = QUERY_BUCKETS): DurationHistogram {
    const existing = registry.getSingleMetric(name) as unknown;
    if (existing instanceof DurationHistogram) return existing;
    const histogram = new DurationHistogram(name, help, buckets);
    registry.registerMetric(histogram as unknown as Metric);
    return histogram;
  }

  /** An observer bound to one label set: call it with a duration in seconds. */
  series(labels: Record<string, string>): (seconds: number) => void {
    const key = JSON.stringify(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, counts: new Float64Array(this.#buckets.length + 1), sum: 0 };
      this.#series.set(key, series);
    }
    const target = series;
    const buckets = this.#buckets;
    return (seconds) => {
      let i = 0;
      while (i < buckets.length && seconds > buckets[i]!) i++;
      target.counts[i]!++;
      target.sum += seconds;
    };
  }

  reset(): void {
    for (const series of this.#series.values()) {
      series.counts.fill(0);
      series.sum = 0;
    }
  }

  get(): {
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { value: number; labels: Record<string, string | number>; metricName: string }[];
  } {
    const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
    const buckets = this.#buckets;
    for (const { labels, counts, sum } of this.#series.values()) {
      let cumulative = 0;
      counts.forEach((count, i) => {
        cumulative += count;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: i < buckets.length ? buckets[i]! : '+Inf' }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: cumulative });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
