import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

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
  /** Stops reporting this cache (on close). */
  unregister(): void;
}

const noHistograms: CacheHistograms = { observeL2() {}, observeLoader() {}, unregister() {} };

interface RegistryMetrics {
  sources: Map<string, MetricSources>;
  l2Latency: Histogram;
  loader: Histogram;
}

// One metric family per registry, shared by every cache on it (label `cache`), so several caches
// can report to one /metrics without "already registered" errors.
const perRegistry = new WeakMap<Registry, RegistryMetrics>();

function collectingCounter(registry: Registry, sources: Map<string, MetricSources>, name: string, help: string, read: (s: MetricSources) => number): void {
  const metric: Counter = new Counter({
    name,
    help,
    labelNames: ['cache'],
    registers: [registry],
    collect() {
      metric.reset();
      for (const [cache, s] of sources) metric.inc({ cache }, read(s));
    },
  });
}

function setUp(registry: Registry): RegistryMetrics {
  const sources = new Map<string, MetricSources>();
  const lookups = new Counter({
    name: 'ai_stack_cache_lookups_total',
    help: 'Cache lookups by tier and result',
    labelNames: ['cache', 'tier', 'result'],
    registers: [registry],
    collect() {
      lookups.reset();
      for (const [cache, { counters: c }] of sources) {
        lookups.inc({ cache, tier: 'l1', result: 'hit' }, c.l1Hits);
        lookups.inc({ cache, tier: 'l1', result: 'miss' }, c.l1Misses);
        lookups.inc({ cache, tier: 'l2', result: 'hit' }, c.l2Hits);
        lookups.inc({ cache, tier: 'l2', result: 'miss' }, c.l2Misses);
      }
    },
  });
  collectingCounter(registry, sources, 'ai_stack_cache_graced_hits_total', 'Stale values served during a grace period', (s) => s.counters.gracedHits);
  collectingCounter(registry, sources, 'ai_stack_cache_writes_total', 'Cache writes', (s) => s.counters.writes);
  collectingCounter(registry, sources, 'ai_stack_cache_deletes_total', 'Cache deletions', (s) => s.counters.deletes);
  collectingCounter(registry, sources, 'ai_stack_cache_l2_errors_total', 'Failed L2 (Redis) commands', (s) => s.counters.l2Errors);
  collectingCounter(registry, sources, 'ai_stack_cache_loader_calls_total', 'Loader (factory) invocations', (s) => s.counters.loaderCalls);
  collectingCounter(registry, sources, 'ai_stack_cache_loader_errors_total', 'Loader failures and hard timeouts', (s) => s.counters.loaderErrors);
  collectingCounter(registry, sources, 'ai_stack_cache_l1_evictions_total', 'L1 entries evicted by the entry or byte bound', (s) => s.l1Size().evictions);
  const bus = new Counter({
    name: 'ai_stack_cache_bus_messages_total',
    help: 'Invalidation bus messages',
    labelNames: ['cache', 'direction'],
    registers: [registry],
    collect() {
      bus.reset();
      for (const [cache, { counters: c }] of sources) {
        bus.inc({ cache, direction: 'published' }, c.busPublished);
        bus.inc({ cache, direction: 'received' }, c.busReceived);
        bus.inc({ cache, direction: 'dropped' }, c.busDropped);
      }
    },
  });
  const l1 = new Gauge({
    name: 'ai_stack_cache_l1_size',
    help: 'L1 entries and bytes',
    labelNames: ['cache', 'unit'],
    registers: [registry],
    collect() {
      l1.reset();
      for (const [cache, s] of sources) {
        const size = s.l1Size();
        l1.set({ cache, unit: 'entries' }, size.entries);
        l1.set({ cache, unit: 'bytes' }, size.bytes);
      }
    },
  });
  const breaker = new Gauge({
    name: 'ai_stack_cache_circuit_open',
    help: '1 while the L2 circuit breaker is open',
    labelNames: ['cache'],
    registers: [registry],
    collect() {
      breaker.reset();
      for (const [cache, s] of sources) breaker.set({ cache }, s.circuitOpen() ? 1 : 0);
    },
  });
  const l2Latency = new Histogram({
    name: 'ai_stack_cache_l2_duration_seconds',
    help: 'L2 command latency',
    labelNames: ['cache', 'op'],
    registers: [registry],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5],
  });
  const loader = new Histogram({
    name: 'ai_stack_cache_loader_duration_seconds',
    help: 'Loader (factory) duration',
    labelNames: ['cache'],
    registers: [registry],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 1, 2.5, 10],
  });
  return { sources, l2Latency, loader };
}

/**
 * Registers the `ai_stack_cache_*` metrics on the caller's registry (never the global one). `name`
 * is the `cache` label; a second cache with the same name on one registry is labelled `name#2`.
 */
export function registerCacheMetrics(registry: Registry | undefined, name: string, sources: MetricSources): CacheHistograms {
  if (registry === undefined) return noHistograms;
  let metrics = perRegistry.get(registry);
  if (metrics === undefined) {
    metrics = setUp(registry);
    perRegistry.set(registry, metrics);
  }
  const { sources: all, l2Latency, loader } = metrics;
  let label = name;
  for (let n = 2; all.has(label); n++) label = `${name}#${n}`;
  all.set(label, sources);
  const latencyByOp = new Map<string, Histogram.Internal<'cache' | 'op'>>();
  const loaderChild = loader.labels({ cache: label });
  return {
    observeL2(op, seconds) {
      let child = latencyByOp.get(op);
      if (child === undefined) {
        child = l2Latency.labels({ cache: label, op });
        latencyByOp.set(op, child);
      }
      child.observe(seconds);
    },
    observeLoader: (seconds) => loaderChild.observe(seconds),
    unregister: () => {
      all.delete(label);
      for (const op of latencyByOp.keys()) l2Latency.remove({ cache: label, op });
      loader.remove({ cache: label });
    },
  };
}
