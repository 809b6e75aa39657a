import type { ResultsFile } from '../lib/results.ts';
import type { Spread } from '../lib/stats.ts';

/** A goal as the issues state it; `value` reads the figure it is judged on from a results file. */
export interface Goal {
  text: string;
  value(results: ResultsFile): number | undefined;
  met(value: number): boolean;
  unit: 'x' | 'ms' | 'per-s' | 'count' | 'mb' | 's' | 'pct';
}

export interface Section {
  /** Also the legacy block's name in bench/report/legacy/. */
  id: string;
  title: string;
  command: string;
  /** bench/results/<file>.json */
  file: string;
  /** Only the parts of the file this section shows; all when unset. */
  parts?: string[];
  about: string;
  goals: Goal[];
  /** Blocks of the hand-written page this section replaces (bench/report/legacy/<id>.md); defaults to [id]. */
  legacy?: string[];
}

export function figure(results: ResultsFile, metric: string, implementation: string): number | undefined {
  const value = (results[metric] as Record<string, unknown> | undefined)?.[implementation];
  return typeof value === 'number' ? value : undefined;
}

/** The median of per-round ratios recorded by a run, the figure every ratio goal is judged on. */
export function ratio(results: ResultsFile, key: string): Spread | undefined {
  for (const run of Object.values(results._runs ?? {})) {
    const found = run.ratios?.[key];
    if (found) return found;
  }
  return undefined;
}

const ratioGoal = (text: string, key: string, met: (v: number) => boolean): Goal => ({ text, unit: 'x', met, value: (r) => ratio(r, key)?.median });
const valueGoal = (text: string, metric: string, impl: string, unit: Goal['unit'], met: (v: number) => boolean): Goal => ({ text, unit, met, value: (r) => figure(r, metric, impl) });

export const SECTIONS: Section[] = [
  {
    id: 'cache',
    title: 'Cache',
    command: 'npm run bench:cache',
    file: 'cache',
    about: 'ai-stack `createCache` against BentoCache and cache-manager on the same Redis, with lru-cache and a raw ioredis GET as floors. Implementations rotate within every round; figures are medians of per-round medians, ratios are medians of per-round ratios.',
    goals: [
      ratioGoal('L1 hit ≥ 3× faster than BentoCache', 'l1_hit_p50_ns: bentocache / ai-stack', (v) => v >= 3),
      ratioGoal('L2 get ≤ 1.15× a raw ioredis GET', 'l2_get_p50_us: ai-stack / ioredis', (v) => v <= 1.15),
      valueGoal('1,000 overlapping misses over 4 processes load once', 'stampede_loader_calls', 'ai-stack', 'count', (v) => v === 1),
    ],
  },
  {
    id: 'http',
    title: 'HTTP toolkit',
    command: 'npm run bench:http',
    file: 'http',
    legacy: ['http', 'http-service'],
    about: 'autocannon runs in its own process (as Fastify\'s own benchmarks do); the server runs alone in another. Variants rotate per round; req/s and server CPU per request are medians over rounds.',
    goals: [ratioGoal('toolkit ≥ 0.85× bare Fastify req/s (≤ 15 % overhead)', 'req_per_s: ai-stack / fastify-bare', (v) => v >= 0.85)],
  },
  {
    id: 'db',
    title: 'Database toolkit',
    command: 'npm run bench:db',
    file: 'db',
    about: 'Every insert method writes the same rows, the same count, with the same durability; the raw ceiling is `node:sqlite` prepared multi-row INSERTs in one transaction (SQLite) and COPY at the writer\'s parallelism (PostgreSQL).',
    goals: [
      ratioGoal('SQLite batch writer ≥ 0.9× the raw ceiling', 'rows_per_s_sqlite: batch-writer / raw-ceiling', (v) => v >= 0.9),
      ratioGoal('PostgreSQL batch writer ≥ 0.8× COPY at equal parallelism', 'rows_per_s_postgres: batch-writer / copy-parallel', (v) => v >= 0.8),
      ratioGoal('SQLite batch writer faster than one transaction of single-row INSERTs', 'rows_per_s_sqlite: batch-writer / one-transaction', (v) => v > 1),
      ratioGoal('SQLite batch writer faster than chunked Kysely insertInto().values()', 'rows_per_s_sqlite: batch-writer / kysely-chunks', (v) => v > 1),
      ratioGoal('PostgreSQL batch writer faster than chunked Kysely insertInto().values()', 'rows_per_s_postgres: batch-writer / kysely-chunks', (v) => v > 1),
    ],
  },
  {
    id: 'tasks',
    title: 'Tasks',
    command: 'npm run bench:tasks',
    file: 'tasks',
    parts: ['layer', 'celery'],
    about: 'The ai-stack task layer on Redis against raw BullMQ (same retention, same concurrency, same jobs) and Celery (same producer concurrency, same handler work, same job count, prefork workers).',
    goals: [
      ratioGoal('task layer within 10 % of raw BullMQ', 'jobs_per_s: ai-stack / bullmq', (v) => v >= 0.9),
      ratioGoal('task layer ≥ 3× Celery (drain rate)', 'drain_per_s: ai-stack / celery', (v) => v >= 3),
    ],
  },
  {
    id: 'task-backends',
    title: 'Task backends (SQLite vs Redis vs PostgreSQL)',
    command: 'npm run bench:tasks',
    file: 'tasks',
    parts: ['backends'],
    about: 'BullMQ 6 with the same Queue/Worker code on each backend; each backend\'s durability setting is stated beside its figures.',
    goals: [
      valueGoal('SQLite backend ≥ 10,000 jobs/s', 'jobs_per_s', 'ai-stack-sqlite', 'per-s', (v) => v >= 10_000),
      valueGoal('SQLite backend ≥ 100,000 bulk enqueues/s', 'bulk_enqueue_per_s', 'ai-stack-sqlite', 'per-s', (v) => v >= 100_000),
      valueGoal('cross-process enqueue→start p50 ≤ 5 ms (SQLite)', 'cross_process_start_p50_ms', 'ai-stack-sqlite', 'ms', (v) => v <= 5),
    ],
  },
];
SECTIONS.push({
  id: 'demo-data',
  title: 'Demo data load',
  command: 'node bench/db/demo-load.ts --dialect <sqlite|postgres> --orders 1000000',
  file: 'demo-data',
  about: 'The same `loadDemoData` as `ai-stack demo-data --orders 1000000`, on a fresh database, seed 42 (11 M rows).',
  goals: [],
});
