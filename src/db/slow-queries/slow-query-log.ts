import type { Registry } from 'prom-client';
import { DurationHistogram } from '../duration-histogram.ts';
import type { Logger } from '../../shared/logger.ts';
import { FingerprintCache } from './fingerprint.ts';

export interface SlowQueryLogOptions {
  /** Statements at or above this duration are logged and count as slow. Default 100 ms. */
  thresholdMs?: number;
  /** Tables whose parameter values may appear in samples; all others are redacted to their type. */
  allowParametersFor?: readonly string[];
  /** Fingerprints kept; the least recently seen is dropped beyond this. Default 1000. */
  maxFingerprints?: number;
  logger?: Logger;
  registry?: Registry;
  dialect?: string;
}

/** Aggregates per fingerprint, like a row of pg_stat_statements. */
export interface QueryStats {
  fingerprint: string;
  /** Normalised SQL (literals → `?`). */
  query: string;
  tables: string[];
  calls: number;
  errors: number;
  slowCalls: number;
  totalMs: number;
  meanMs: number;
  p95Ms: number;
  maxMs: number;
  lastSeen: string;
  /** Parameters of the slowest call seen, redacted unless the tables are allow-listed. */
  sampleParameters: unknown[];
  /** Plan of the statement, captured in the background after its first slow call (or by the advisor). */
  samplePlan?: unknown;
}

interface Entry extends Omit<QueryStats, 'meanMs' | 'p95Ms' | 'lastSeen'> {
  /** A performance.now() timestamp (the caller's end-of-statement reading, so no clock call here); formatted when read. */
  lastSeen: number;
  /** Recent durations (ring buffer) for the p95; bounded so memory stays flat. */
  recent: Float64Array;
  /** How many slots of `recent` hold a duration, and where the next one goes. */
  filled: number;
  next: number;
  sampleSql: string;
  /** A plan capture was started (once per fingerprint, whether it succeeds or not). */
  planTried: boolean;
}

const RING = 128;
const MAX_SAMPLE_PARAMETERS = 50;
const MAX_SQL_TEXTS = 2000;
/** Statements whose plan EXPLAIN can show without running them or changing anything. */
const EXPLAINABLE = /^\s*(select|with)\b/i;

/** What an `explainWith` callback throws when it cannot plan now; the log tries again at a later slow call. */
export class PlanDeferred extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PlanDeferred';
  }
}

/**
 * Per-fingerprint statistics of every statement, fed by the drivers' statement hook (`Db.timing`):
 * timed around the driver call, so PostgreSQL durations include the network round trip.
 */
export class SlowQueryLog {
  readonly thresholdMs: number;
  readonly #allow: Set<string>;
  readonly #max: number;
  readonly #logger: Logger | undefined;
  readonly #fingerprints = new FingerprintCache();
  readonly #entries = new Map<string, Entry>();
  /** Exact SQL text → its entry: the hot path is one lookup (Kysely emits the same text per query shape). */
  readonly #bySql = new Map<string, Entry>();
  #explain: ((sql: string) => Promise<unknown>) | undefined;
  #explaining = false;
  /** Observers bound to their label set once, so recording a query does no label hashing. */
  readonly #observeOk: ((seconds: number) => void) | undefined;
  readonly #observeError: ((seconds: number) => void) | undefined;

  constructor(options: SlowQueryLogOptions = {}) {
    this.thresholdMs = options.thresholdMs ?? 100;
    this.#allow = new Set(options.allowParametersFor ?? []);
    this.#max = options.maxFingerprints ?? 1000;
    this.#logger = options.logger;
    const dialect = options.dialect ?? 'unknown';
    const registry = options.registry;
    if (registry) {
      const histogram = DurationHistogram.on(registry, 'ai_stack_db_query_duration_seconds', 'Duration of database statements, timed at the driver');
      this.#observeOk = histogram.series({ dialect, outcome: 'ok' });
      this.#observeError = histogram.series({ dialect, outcome: 'error' });
    }
  }

  /**
   * Records one statement; `endedAt` is the performance.now() reading that ended its timing, when the
   * caller has one. A bound property, so the drivers call it directly as their statement hook.
   */
  readonly record = (sql: string, parameters: readonly unknown[], durationMs: number, failed = false, endedAt = performance.now()): void => {
    const entry = this.#bySql.get(sql) ?? this.#entryFor(sql);
    entry.calls++;
    entry.totalMs += durationMs;
    entry.lastSeen = endedAt;
    if (failed) entry.errors++;
    entry.recent[entry.next] = durationMs;
    entry.next = (entry.next + 1) % RING;
    if (entry.filled < RING) entry.filled++;
    if (durationMs >= entry.maxMs) {
      entry.maxMs = durationMs;
      entry.sampleSql = sql;
      entry.sampleParameters = this.#redact(entry.tables, parameters);
    }
    (failed ? this.#observeError : this.#observeOk)?.(durationMs / 1000);
    if (durationMs >= this.thresholdMs) {
      entry.slowCalls++;
      if (!entry.planTried && this.#explain !== undefined && !this.#explaining && EXPLAINABLE.test(sql)) this.#capturePlan(entry, sql, this.#explain);
      this.#logger?.warn(
        { fingerprint: entry.fingerprint, query: entry.query, durationMs: Math.round(durationMs * 10) / 10, parameters: entry.sampleParameters },
        'slow query',
      );
    }
  };

  #entryFor(sql: string): Entry {
    const { fingerprint, normalized, tables } = this.#fingerprints.get(sql);
    let entry = this.#entries.get(fingerprint);
    if (!entry) {
      if (this.#entries.size >= this.#max) this.#evictLeastRecent();
      entry = {
        fingerprint,
        query: normalized,
        tables,
        calls: 0,
        errors: 0,
        slowCalls: 0,
        totalMs: 0,
        maxMs: 0,
        lastSeen: 0,
        sampleParameters: [],
        recent: new Float64Array(RING),
        filled: 0,
        next: 0,
        sampleSql: sql,
        planTried: false,
      };
      this.#entries.set(fingerprint, entry);
    }
    if (this.#bySql.size >= MAX_SQL_TEXTS) this.#bySql.clear();
    this.#bySql.set(sql, entry);
    return entry;
  }

  /**
   * Plans slow statements in the background: the first slow call of a fingerprint gets its plan
   * captured, one capture at a time (a burst of slow queries is not met with a burst of EXPLAINs).
   */
  explainWith(explain: (sql: string) => Promise<unknown>): void {
    this.#explain = explain;
  }

  #capturePlan(entry: Entry, sql: string, explain: (sql: string) => Promise<unknown>): void {
    entry.planTried = true;
    this.#explaining = true;
    setImmediate(() => {
      explain(sql)
        .then((plan) => {
          entry.samplePlan ??= plan;
        })
        .catch((error: unknown) => {
          // A deferred capture (no connection to spare) is retried at a later slow call; a failed one is not.
          if (error instanceof PlanDeferred) entry.planTried = false;
          else this.#logger?.debug({ err: error, fingerprint: entry.fingerprint }, 'could not capture a sample plan');
        })
        .finally(() => {
          this.#explaining = false;
        });
    });
  }

  /** Fingerprints with at least one call at/over the threshold (or all with `all`), by total time. */
  getSlowQueries(opts: { limit?: number; all?: boolean } = {}): QueryStats[] {
    const limit = Math.max(1, Math.min(opts.limit ?? 50, 1000));
    return [...this.#entries.values()]
      .filter((entry) => opts.all || entry.slowCalls > 0)
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, limit)
      .map((entry) => toStats(entry));
  }

  /** Statements at/over the threshold so far, and how many fingerprints they fall into: a count without sorting or stats. */
  slowTotals(): { calls: number; fingerprints: number } {
    let calls = 0;
    let fingerprints = 0;
    for (const entry of this.#entries.values()) {
      if (entry.slowCalls === 0) continue;
      calls += entry.slowCalls;
      fingerprints++;
    }
    return { calls, fingerprints };
  }

  /** The original SQL text of a fingerprint's slowest call (for the advisor; parameters not included). */
  sampleSql(fingerprint: string): string | undefined {
    return this.#entries.get(fingerprint)?.sampleSql;
  }

  setSamplePlan(fingerprint: string, plan: unknown): void {
    const entry = this.#entries.get(fingerprint);
    if (entry) entry.samplePlan = plan;
  }

  /** Runs only when a new fingerprint arrives at the cap, so the hot path never reorders the map. */
  #evictLeastRecent(): void {
    let oldest: Entry | undefined;
    for (const entry of this.#entries.values()) if (!oldest || entry.lastSeen < oldest.lastSeen) oldest = entry;
    if (oldest) this.#entries.delete(oldest.fingerprint);
    this.#bySql.clear(); // it may point at the evicted entry; refilled on the next calls
  }

  reset(): void {
    this.#entries.clear();
    this.#bySql.clear();
  }

  /** A batch INSERT binds tens of thousands of values; the sample keeps the first few and counts the rest. */
  #redact(tables: string[], parameters: readonly unknown[]): unknown[] {
    const allowed = tables.length > 0 && tables.every((table) => this.#allow.has(table));
    const sample = parameters.slice(0, MAX_SAMPLE_PARAMETERS).map((value) => (allowed ? truncate(value) : describe(value)));
    if (parameters.length > MAX_SAMPLE_PARAMETERS) sample.push(`<${parameters.length - MAX_SAMPLE_PARAMETERS} more>`);
    return sample;
  }
}

function toStats(entry: Entry): QueryStats {
  const sorted = entry.recent.slice(0, entry.filled).sort();
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
  const { recent: _recent, filled: _filled, next: _next, sampleSql: _sql, ...rest } = entry;
  return {
    ...rest,
    lastSeen: new Date(performance.timeOrigin + entry.lastSeen).toISOString(),
    meanMs: round(entry.totalMs / entry.calls),
    p95Ms: round(p95),
    totalMs: round(entry.totalMs),
    maxMs: round(entry.maxMs),
  };
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `<string(${value.length})>`;
  if (value instanceof Uint8Array) return `<bytes(${value.byteLength})>`;
  return `<${typeof value}>`;
}

function truncate(value: unknown): unknown {
  return typeof value === 'string' && value.length > 200 ? `${value.slice(0, 200)}…` : value;
}
