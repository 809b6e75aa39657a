import type { SqliteStore } from './store.ts';

/** The options of the owning Queue/Worker that change what an operation does. */
export interface QueueSettings {
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
  limiter?: { max: number; duration: number };
  metricsMaxDataPoints?: number;
  maxLenEvents: number;
}

/** Everything an operation needs: the shared connection, the queue's qualified name and its settings. */
export interface QueueCtx {
  store: SqliteStore;
  queue: string;
  settings: QueueSettings;
}

/** Reads the option bag a Queue/Worker passes to the factory; unknown shapes fall back to BullMQ's defaults. */
export function settingsFrom(opts: Record<string, unknown>): QueueSettings {
  const num = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
  const limiter = opts['limiter'] as { max?: unknown; duration?: unknown } | undefined;
  const metrics = opts['metrics'] as { maxDataPoints?: unknown } | undefined;
  const streams = opts['streams'] as { events?: { maxLen?: unknown } } | undefined;
  const settings: QueueSettings = {
    lockDuration: num(opts['lockDuration'], 30_000),
    stalledInterval: num(opts['stalledInterval'], 30_000),
    maxStalledCount: num(opts['maxStalledCount'], 1),
    maxLenEvents: num(streams?.events?.maxLen, 10_000),
  };
  if (limiter && typeof limiter.max === 'number' && typeof limiter.duration === 'number') {
    settings.limiter = { max: limiter.max, duration: limiter.duration };
  }
  if (metrics && typeof metrics.maxDataPoints === 'number') settings.metricsMaxDataPoints = metrics.maxDataPoints;
  return settings;
}
