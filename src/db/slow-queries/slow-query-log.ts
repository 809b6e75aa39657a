import type { LogEvent } from 'kysely';
import type { Registry } from 'prom-client';
import { DurationHistogram } from './duration-histogram.ts';
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
  /** Filled in by the advisor when it has looked at this statement. */
  samplePlan?: unknown;
}

interface Entry extends Omit<QueryStats, 'meanMs' | 'p95Ms' | 'lastSeen'> {
  /** Epoch ms; formatted only when read, since toISOString on every statement is measurable. */
  lastSeen: number;
  /** Recent durations (ring buffer) for the p95; bounded so memory stays flat. */
  recent: number[];
  next: number;
  sampleSql: string;
}

const RING = 128;

/**
 * Per-fingerprint statistics of every statement Kysely runs, timed by Kysely's runtime driver around
 * the connection's executeQuery (i.e. driver-level, including the network round trip).
 */
export class SlowQueryLog {
  readonly thresholdMs: number;
  readonly #allow: Set<string>;
  readonly #max: number;
  readonly #logger: Logger | undefined;
  readonly #fingerprints = new FingerprintCache();
  readonly #entries = new Map<string, Entry>();
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

  /** Kysely `log` callback. */
  readonly onQuery = (event: LogEvent): void => {
    this.record(event.query.sql, event.query.parameters, event.queryDurationMillis, event.level === 'error');
  };

  record(sql: string, parameters: readonly unknown[], durationMs: number, failed = false): void {
    const { fingerprint, normalized, tables } = this.#fingerprints.get(sql);
    let entry = this.#entries.get(fingerprint);
    if (!entry) {
      if (this.#entries.size >= this.#max) this.#evictLeastRecent();
      entry = { fingerprint, query: normalized, tables, calls: 0, errors: 0, slowCalls: 0, totalMs: 0, maxMs: 0, lastSeen: 0, sampleParameters: [], recent: [], next: 0, sampleSql: sql };
      this.#entries.set(fingerprint, entry);
    }
    entry.calls++;
    entry.totalMs += durationMs;
    entry.lastSeen = Date.now();
    if (failed) entry.errors++;
    if (entry.recent.length < RING) entry.recent.push(durationMs);
    else entry.recent[entry.next] = durationMs;
    entry.next = (entry.next + 1) % RING;
    if (durationMs >= entry.maxMs) {
      entry.maxMs = durationMs;
      entry.sampleSql = sql;
      entry.sampleParameters = this.#redact(tables, parameters);
    }
    (failed ? this.#observeError : this.#observeOk)?.(durationMs / 1000);
    if (durationMs >= this.thresholdMs) {
      entry.slowCalls++;
      this.#logger?.warn({ fingerprint, query: normalized, durationMs: Math.round(durationMs * 10) / 10, parameters: entry.sampleParameters }, 'slow query');
    }
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
  }

  reset(): void {
    this.#entries.clear();
  }

  #redact(tables: string[], parameters: readonly unknown[]): unknown[] {
    const allowed = tables.length > 0 && tables.every((table) => this.#allow.has(table));
    return parameters.map((value) => (allowed ? truncate(value) : describe(value)));
  }
}

function toStats(entry: Entry): QueryStats {
  const sorted = [...entry.recent].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
  const { recent: _recent, next: _next, sampleSql: _sql, ...rest } = entry;
  return { ...rest, lastSeen: new Date(entry.lastSeen).toISOString(), meanMs: round(entry.totalMs / entry.calls), p95Ms: round(p95), totalMs: round(entry.totalMs), maxMs: round(entry.maxMs) };
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
