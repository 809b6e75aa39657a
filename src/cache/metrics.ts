import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Tier = 'l1' | 'l2';

/** Plain counters on the hot path; prom-client reads them at scrape time, so an L1 hit costs an integer add. */
export class CacheStatsCounters {
  l1Hits = 0;
  l1Misses = 0;
  l2Hits = 0;
  l2Misses = 0;
  gracedHits = 0;
  writes = 0;
  deletes = 0;
  l2Errors = 0;
  loaderCalls = 0;
  loaderErrors = 0;
  busPublished = 0;
  busReceived = 0;
  busDropped = 0;
}

export interface MetricSources {
  counters: CacheStatsCounters;
  l1Size: () => { entries: number; bytes: number; evictions: number };
  circuitOpen: () => boolean;
}

export interface CacheHistograms {
  observeL2(op: string, seconds: number): void;
  observeLoader(seconds: number): void;
}

const noHistograms: CacheHistograms = { observeL2() {}, observeLoader() {} };

/** Registers the `ai_stack_cache_*` metrics on the caller's registry (never the global one). */
export function registerCacheMetrics(registry: Registry | undefined, namespace: string, sources: MetricSources): CacheHistograms {
  if (registry === undefined) return noHistograms;
  const c = sources.counters;
  const labels = { cache: namespace };
  const counter = (name: string, help: string, read: () => number): void => {
    const metric: Counter = new Counter({
      name, help, labelNames: ['cache'], registers: [registry],
      collect() { metric.reset(); metric.inc(labels, read()); },
    });
  };
  const lookups = new Counter({
    name: 'ai_stack_cache_lookups_total', help: 'Cache lookups by tier and result', labelNames: ['cache', 'tier', 'result'], registers: [registry],
    collect() {
      lookups.reset();
      const add = (tier: Tier, result: string, n: number): void => lookups.inc({ ...labels, tier, result }, n);
      add('l1', 'hit', c.l1Hits); add('l1', 'miss', c.l1Misses); add('l2', 'hit', c.l2Hits); add('l2', 'miss', c.l2Misses);
    },
  });
  counter('ai_stack_cache_graced_hits_total', 'Stale values served during a grace period', () => c.gracedHits);
  counter('ai_stack_cache_writes_total', 'Cache writes', () => c.writes);
  counter('ai_stack_cache_deletes_total', 'Cache deletions', () => c.deletes);
  counter('ai_stack_cache_l2_errors_total', 'Failed L2 (Redis) commands', () => c.l2Errors);
  counter('ai_stack_cache_loader_calls_total', 'Loader (factory) invocations', () => c.loaderCalls);
  counter('ai_stack_cache_loader_errors_total', 'Loader failures and hard timeouts', () => c.loaderErrors);
  counter('ai_stack_cache_l1_evictions_total', 'L1 entries evicted by the entry or byte bound', () => sources.l1Size().evictions);
  const bus = new Counter({
    name: 'ai_stack_cache_bus_messages_total', help: 'Invalidation bus messages', labelNames: ['cache', 'direction'], registers: [registry],
    collect() {
      bus.reset();
      bus.inc({ ...labels, direction: 'published' }, c.busPublished);
      bus.inc({ ...labels, direction: 'received' }, c.busReceived);
      bus.inc({ ...labels, direction: 'dropped' }, c.busDropped);
    },
  });
  const l1 = new Gauge({
    name: 'ai_stack_cache_l1_size', help: 'L1 entries and bytes', labelNames: ['cache', 'unit'], registers: [registry],
    collect() {
      const s = sources.l1Size();
      l1.set({ ...labels, unit: 'entries' }, s.entries);
      l1.set({ ...labels, unit: 'bytes' }, s.bytes);
    },
  });
  const breaker = new Gauge({
    name: 'ai_stack_cache_circuit_open', help: '1 while the L2 circuit breaker is open', labelNames: ['cache'], registers: [registry],
    collect() { breaker.set(labels, sources.circuitOpen() ? 1 : 0); },
  });
  const l2Latency = new Histogram({
    name: 'ai_stack_cache_l2_duration_seconds', help: 'L2 command latency', labelNames: ['cache', 'op'], registers: [registry],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5],
  });
  const loader = new Histogram({
    name: 'ai_stack_cache_loader_duration_seconds', help: 'Loader (factory) duration', labelNames: ['cache'], registers: [registry],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 1, 2.5, 10],
  });
  return {
    observeL2: (op, seconds) => l2Latency.observe({ ...labels, op }, seconds),
    observeLoader: (seconds) => loader.observe(labels, seconds),
  };
}
