import { Counter, Gauge, type Registry } from 'prom-client';
import { DurationHistogram } from '../duration-histogram.ts';
import { UnavailableError } from '../../shared/errors.ts';
import { registeredMetric } from '../metrics.ts';

/** Raised when no connection (PostgreSQL) or the writer (SQLite) became free within the acquire timeout. */
export class PoolTimeoutError extends UnavailableError {
  readonly pool: string;
  readonly waitedMs: number;

  constructor(pool: string, waitedMs: number, detail: string) {
    super(`Timed out after ${Math.round(waitedMs)} ms waiting for a connection from the "${pool}" pool (${detail})`, { code: 'db_pool_timeout' });
    this.pool = pool;
    this.waitedMs = waitedMs;
  }
}

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface PoolStats {
  name: string;
  dialect: 'sqlite' | 'postgres';
  config: { size: number; maxOverflow: number; acquireTimeoutMs: number };
  total: number;
  idle: number;
  active: number;
  waiting: number;
  acquired: number;
  timeouts: number;
  /** Connections closed, by reason. */
  closed: Record<string, number>;
  acquireWaitMs: Percentiles;
  holdMs: Percentiles;
  /** SQLite only: size of the write-ahead log, which grows while readers pin old snapshots. */
  walBytes?: number;
  /** SQLite only: statements that gave up on another process's lock after busy_timeout (answered 503). */
  busyErrors?: number;
}

const WINDOW = 1024;

/** Recent samples (ring buffer) → percentiles; bounded memory, no dependency on request volume. */
class Window {
  readonly #values: number[] = [];
  #next = 0;
  #max = 0;
  #count = 0;

  add(value: number): void {
    this.#count++;
    this.#max = Math.max(this.#max, value);
    if (this.#values.length < WINDOW) this.#values.push(value);
    else this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % WINDOW;
  }

  percentiles(): Percentiles {
    const sorted = [...this.#values].sort((a, b) => a - b);
    const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))] ?? 0);
    return { count: this.#count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(this.#max) };
  }
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Counts and timings shared by both dialects' pools; gauges are read from the pool on demand. */
export class PoolMonitor {
  readonly name: string;
  readonly #wait = new Window();
  readonly #hold = new Window();
  readonly #closed: Record<string, number> = {};
  acquired = 0;
  timeouts = 0;
  busyErrors = 0;
  /** Observers bound to this pool's label once: recording runs on every query (acquire and release). */
  readonly #metrics: { wait: (seconds: number) => void; hold: (seconds: number) => void; timeouts: Counter; busy: Counter } | undefined;

  constructor(name: string, registry: Registry | undefined, gauges: () => { total: number; idle: number; waiting: number }) {
    this.name = name;
    if (!registry) return;
    const buckets = [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];
    this.#metrics = {
      wait: DurationHistogram.on(registry, 'ai_stack_db_pool_acquire_wait_seconds', 'Time waiting for a database connection', buckets).series({ pool: name }),
      hold: DurationHistogram.on(registry, 'ai_stack_db_pool_hold_seconds', 'Time a database connection was held', buckets).series({ pool: name }),
      busy: registeredMetric(
        registry,
        'ai_stack_db_sqlite_busy_total',
        () =>
          new Counter({
            name: 'ai_stack_db_sqlite_busy_total',
            help: "SQLite statements that gave up on another process's lock after busy_timeout",
            labelNames: ['pool'],
            registers: [registry],
          }),
      ),
      timeouts: registeredMetric(
        registry,
        'ai_stack_db_pool_timeouts_total',
        () =>
          new Counter({ name: 'ai_stack_db_pool_timeouts_total', help: 'Connection acquisitions that timed out', labelNames: ['pool'], registers: [registry] }),
      ),
    };
    const poolName = name;
    if (registry.getSingleMetric('ai_stack_db_pool_connections')) return;
    new Gauge({
      name: 'ai_stack_db_pool_connections',
      help: 'Database pool connections by state',
      labelNames: ['pool', 'state'],
      registers: [registry],
      collect() {
        const g = gauges();
        this.set({ pool: poolName, state: 'total' }, g.total);
        this.set({ pool: poolName, state: 'idle' }, g.idle);
        this.set({ pool: poolName, state: 'waiting' }, g.waiting);
      },
    });
  }

  recordAcquire(waitMs: number): void {
    this.acquired++;
    this.#wait.add(waitMs);
    this.#metrics?.wait(waitMs / 1000);
  }

  recordRelease(holdMs: number): void {
    this.#hold.add(holdMs);
    this.#metrics?.hold(holdMs / 1000);
  }

  recordTimeout(): void {
    this.timeouts++;
    this.#metrics?.timeouts.inc({ pool: this.name });
  }

  recordBusy(): void {
    this.busyErrors++;
    this.#metrics?.busy.inc({ pool: this.name });
  }

  recordClosed(reason: string): void {
    this.#closed[reason] = (this.#closed[reason] ?? 0) + 1;
  }

  snapshot(): { acquireWaitMs: Percentiles; holdMs: Percentiles; closed: Record<string, number>; acquired: number; timeouts: number } {
    return {
      acquireWaitMs: this.#wait.percentiles(),
      holdMs: this.#hold.percentiles(),
      closed: { ...this.#closed },
      acquired: this.acquired,
      timeouts: this.timeouts,
    };
  }
}
