import type { ResultsFile } from '../lib/results.ts';
import type { Spread } from '../lib/stats.ts';

/** A goal as the issues state it; `value` reads the figure it is judged on from a results file. */
export interface Goal {
  text: string;
  value(results: ResultsFile): number | undefined;
  met(value: number): boolean;
  unit: 'x' | 'ms' | 'per-s' | 'count' | 'mb' | 's' | 'pct' | 'kb' | 'score' | 'mb-per-s';
  /** Beyond the goal's far end (the seed's claimed ranges): shown as exceeded rather than met. */
  exceeded?(value: number): boolean;
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
  /** The summary keys shown for a results file written without run records (phase-2 shape); all object-valued keys when unset. */
  metrics?: string[];
  /** Goals that depend on the file itself (the seed's claimed ranges travel with the figures). */
  goalsFrom?(results: ResultsFile): Goal[];
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
const valueGoal = (text: string, metric: string, impl: string, unit: Goal['unit'], met: (v: number) => boolean): Goal => ({
  text,
  unit,
  met,
  value: (r) => figure(r, metric, impl),
});

export const SECTIONS: Section[] = [
  {
    id: 'cache',
    title: 'Cache',
    command: 'npm run bench:cache',
    file: 'cache',
    about:
      'ai-stack `createCache` against BentoCache and cache-manager on the same Redis, with lru-cache and a raw ioredis GET as floors. Implementations rotate within every round; figures are medians of per-round medians, ratios are medians of per-round ratios.',
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
    parts: ['list', 'db-list', 'ratelimit', 'service'],
    about:
      "autocannon runs in its own process (as Fastify's own benchmarks do); the server runs alone in another. Variants rotate per round; req/s and server CPU per request are medians over rounds.",
    goals: [ratioGoal('toolkit ≥ 0.85× bare Fastify req/s (≤ 15 % overhead)', 'req_per_s: ai-stack / fastify-bare', (v) => v >= 0.85)],
  },
  {
    id: 'db',
    title: 'Database toolkit',
    command: 'npm run bench:db',
    file: 'db',
    about:
      "Every insert method writes the same rows, the same count, with the same durability; the raw ceiling is `node:sqlite` prepared multi-row INSERTs in one transaction (SQLite) and COPY at the writer's parallelism (PostgreSQL).",
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
    about:
      'The ai-stack task layer on Redis against raw BullMQ (same retention, same concurrency, same jobs) and Celery (same producer concurrency, same handler work, same job count, prefork workers).',
    goals: [
      ratioGoal('task layer within 10 % of raw BullMQ', 'jobs_per_s: ai-stack / bullmq', (v) => v >= 0.9),
      ratioGoal('task layer ≥ 3× Celery (drain rate)', 'drain_per_s: ai-stack / celery', (v) => v >= 3),
    ],
  },
  {
    id: 'task-backends',
    title: 'Task backends (SQLite vs Redis vs PostgreSQL)',
    command: 'node bench/tasks/backends.ts',
    file: 'tasks',
    parts: ['backends'],
    about:
      "BullMQ 6 with the same Queue/Worker code on each backend, in one process: our SQLite backend under `synchronous=FULL` (the default) and `NORMAL` (issue 11: what durability costs), BullMQ's Redis and PostgreSQL backends. Each backend's durability, read from its server, is stated beside its figures.",
    goals: [
      valueGoal('SQLite backend ≥ 10,000 jobs/s (default durability)', 'jobs_per_s', 'ai-stack-sqlite', 'per-s', (v) => v >= 10_000),
      valueGoal('SQLite backend ≥ 100,000 bulk enqueues/s (default durability)', 'bulk_enqueue_per_s', 'ai-stack-sqlite', 'per-s', (v) => v >= 100_000),
    ],
  },
];
const values = (results: ResultsFile, metric: string): number[] =>
  Object.values((results[metric] as Record<string, unknown> | undefined) ?? {}).filter((v): v is number => typeof v === 'number');
/** The worst of a metric over every implementation key (e.g. every console route): a goal holds only if it holds everywhere. */
const worst = (results: ResultsFile, metric: string, pick: (xs: number[]) => number): number | undefined => {
  const xs = values(results, metric);
  return xs.length === 0 ? undefined : pick(xs);
};
/** Ours ÷ the first implementation key that is not ours (the documents benchmark names its raw library by its packages). */
const againstPeer = (results: ResultsFile, metric: string, ours: string): number | undefined => {
  const row = (results[metric] as Record<string, unknown> | undefined) ?? {};
  const mine = row[ours];
  const peer = Object.entries(row).find(([k, v]) => !k.startsWith('ai-stack') && typeof v === 'number')?.[1];
  return typeof mine === 'number' && typeof peer === 'number' ? mine / peer : undefined;
};
const quotient = (results: ResultsFile, metric: string, a: string, b: string): number | undefined => {
  const x = figure(results, metric, a);
  const y = figure(results, metric, b);
  return x === undefined || y === undefined ? undefined : x / y;
};

/**
 * The seed's claimed range for one metric ("-30..-50": 30–50 % less latency; "2..4": 2–4× more) against our
 * figure: met from the end nearer no change (0 % or 1×), exceeded beyond the far end, missed before the near end.
 */
export function seedClaimGoal(results: ResultsFile, metric: string): Goal | undefined {
  const claim = (results[metric] as Record<string, unknown> | undefined)?.['seed-claim'];
  const match = typeof claim === 'string' ? /^\s*(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s*$/.exec(claim) : null;
  if (!match) return undefined;
  const [a, b] = [Number(match[1]), Number(match[2])];
  const baseline = metric.endsWith('_pct') ? 0 : 1;
  const [near, far] = Math.abs(a - baseline) <= Math.abs(b - baseline) ? [a, b] : [b, a];
  const direction = Math.sign(far - near) || Math.sign(far - baseline) || 1;
  return {
    text: `${metric} within the seed's claim ${String(claim)}`,
    unit: metric.endsWith('_pct') ? 'pct' : 'x',
    value: (r) => figure(r, metric, 'ai-stack'),
    met: (v) => (v - near) * direction >= 0,
    exceeded: (v) => (v - far) * direction > 0,
  };
}

SECTIONS.push(
  {
    id: 'http-etag',
    title: 'HTTP ETag cost',
    command: 'node bench/http/etag.ts',
    file: 'http',
    parts: ['etag'],
    about: "µs per strong ETag of a 3 KB JSON body: ours (XXH64 + length) beside the CRC-32 it replaced (issue 11) and Node's SHA-1 and MD5.",
    goals: [],
  },
  {
    id: 'task-cross-process',
    title: 'Tasks across processes (producer and worker in two processes)',
    command: 'node bench/tasks/cross-process.ts',
    file: 'tasks',
    parts: ['cross-process'],
    legacy: [],
    about:
      "The `npm start` + `ai-stack worker` topology: enqueue→start latency on an idle worker, jobs/s with the worker in another process, and the idle worker's CPU. Each backend's durability is stated beside its figures.",
    goals: [
      valueGoal('cross-process enqueue→start p50 ≤ 5 ms (SQLite, default durability)', 'cross_process_start_p50_ms', 'ai-stack-sqlite', 'ms', (v) => v <= 5),
      valueGoal('idle worker CPU near zero (≤ 1 % of a core, SQLite)', 'cross_process_idle_worker_cpu_pct', 'ai-stack-sqlite', 'pct', (v) => v <= 1),
    ],
  },
  {
    id: 'demo-data',
    title: 'Demo data load',
    command: 'node bench/db/demo-load.ts --dialect <sqlite|postgres> --orders 1000000',
    file: 'demo-data',
    about: 'The same `loadDemoData` as `ai-stack demo-data --orders 1000000`, on a fresh database, seed 42 (11 M rows).',
    goals: [],
  },
  {
    id: 'documents',
    title: 'Documents pipeline',
    command: 'npm run bench:documents',
    file: 'documents',
    metrics: ['extract_mb_per_s', 'upload_to_ready_p50_ms', 'peak_rss_mb_200mb_upload', 'embed_chunks_per_s'],
    about:
      'Our whole pipeline (detect + extract + metadata + chunk, no vectors) against the extraction libraries alone on the same mixed corpus; a 2-page PDF from upload to `ready`; peak RSS of the service during a 200 MB upload (issue 15).',
    goals: [
      {
        text: 'extraction ≥ 0.8× the raw libraries (median of per-round ratios)',
        unit: 'x',
        value: (r) =>
          ratio(r, 'extract_mb_per_s: ai-stack / pdfjs-dist+mammoth+exceljs+node-html-parser+iconv-lite')?.median ??
          againstPeer(r, 'extract_mb_per_s', 'ai-stack'),
        met: (v) => v >= 0.8,
      },
      valueGoal('upload → ready p50 ≤ 300 ms (2-page PDF, embedded defaults)', 'upload_to_ready_p50_ms', 'ai-stack', 'ms', (v) => v <= 300),
      valueGoal('peak RSS ≤ 300 MB while a 200 MB file is uploaded and processed', 'peak_rss_mb_200mb_upload', 'ai-stack', 'mb', (v) => v <= 300),
    ],
  },
  {
    id: 'search',
    title: 'Search',
    command: 'npm run bench:search',
    file: 'search',
    metrics: ['query_p95_ms', 'index_mb_per_s', 'mrr10_zh'],
    about:
      'A corpus of ≥ 10,000 mixed Chinese/English chunks: query p95 on both databases against MiniSearch, indexing rate with segmentation, Chinese MRR@10 (issue 16).',
    goals: [
      valueGoal('query p95 ≤ 10 ms (SQLite)', 'query_p95_ms', 'ai-stack-sqlite', 'ms', (v) => v <= 10),
      valueGoal('query p95 ≤ 10 ms (PostgreSQL)', 'query_p95_ms', 'ai-stack-postgres', 'ms', (v) => v <= 10),
    ],
  },
  {
    id: 'search-quality',
    title: 'Search quality',
    command: 'npm run eval:search',
    file: 'search-quality',
    metrics: ['segmentation_f1', 'mrr10_zh', 'recall10_zh', 'mrr10_en', 'recall10_en'],
    about:
      "Issue 16's quality goals on their own sets: word-segmentation F1 on UD Chinese GSD (simplified GSDSimp, traditional GSD), and known-item MRR@10 / recall@10 on the Debian Reference (each section's heading is the query, the section the one answer) per engine and mode. Scores, not timings. The mixed benchmark corpus above repeats every section with rotated sentences, so there a target competes with its own copies and MRR@10 is lower; no goal is set on it.",
    goals: [
      valueGoal('segmentation F1 ≥ 0.80 (simplified)', 'segmentation_f1', 'ai-stack (GSDSimp)', 'score', (v) => v >= 0.8),
      valueGoal('segmentation F1 ≥ 0.80 (traditional)', 'segmentation_f1', 'ai-stack (GSD)', 'score', (v) => v >= 0.8),
      valueGoal('Chinese MRR@10 ≥ 0.70 (SQLite, default mode hybrid)', 'mrr10_zh', 'ai-stack-sqlite-hybrid', 'score', (v) => v >= 0.7),
      valueGoal('Chinese MRR@10 ≥ 0.70 (PostgreSQL, default mode hybrid)', 'mrr10_zh', 'ai-stack-postgres-hybrid', 'score', (v) => v >= 0.7),
    ],
  },
  {
    id: 'analytics',
    title: 'Analytics and reports',
    command: 'npm run bench:analytics',
    file: 'analytics',
    metrics: ['xlsx_1m_rows_peak_rss_mb', 'xlsx_1m_rows_s', 'pivot_1m_orders_ms', 'forecast_smape', 'forecast_mase', 'forecast_fit_cpu_ms', 'chart_svg_ms'],
    about:
      "Streaming XLSX of 1,000,000 rows × 8 typed columns against exceljs's streaming writer, pivots over the 1,000,000-order demo data, forecasts against R's ets() and thetaf() on the M3 set, server-side chart SVG (issue 17).",
    goals: [
      valueGoal('XLSX 1 M rows peak RSS ≤ 200 MB', 'xlsx_1m_rows_peak_rss_mb', 'ai-stack', 'mb', (v) => v <= 200),
      valueGoal('XLSX 1 M rows ≤ 30 s', 'xlsx_1m_rows_s', 'ai-stack', 's', (v) => v <= 30),
      ratioGoal('XLSX 1 M rows faster than exceljs (time ours ÷ exceljs < 1, median of per-round ratios)', 'xlsx_1m_rows_s: ai-stack / exceljs', (v) => v < 1),
      valueGoal('chart SVG ≤ 10 ms', 'chart_svg_ms', 'ai-stack', 'ms', (v) => v <= 10),
      valueGoal('every forecast fit < 100 ms (slowest of the set, CPU)', 'forecast_fit_cpu_ms', 'max', 'ms', (v) => v < 100),
      {
        text: "forecast beats the Theta method, R's thetaf() (sMAPE ours ÷ Theta < 1)",
        unit: 'x',
        value: (r) => quotient(r, 'forecast_smape', 'ai-stack', 'theta'),
        met: (v) => v < 1,
      },
      {
        text: "forecast matches or beats R's ets() (sMAPE ours ÷ R ets ≤ 1)",
        unit: 'x',
        value: (r) => quotient(r, 'forecast_smape', 'ai-stack', 'r-ets'),
        met: (v) => v <= 1,
      },
      {
        text: "forecast matches or beats R's ets() (MASE ours ÷ R ets ≤ 1)",
        unit: 'x',
        value: (r) => quotient(r, 'forecast_mase', 'ai-stack', 'r-ets'),
        met: (v) => v <= 1,
      },
    ],
  },
  {
    id: 'mail',
    title: 'Bulk mail',
    command: 'npm run bench:mail',
    file: 'mail',
    metrics: ['bulk_messages_per_s'],
    about: 'The same messages to the same SMTP server through the outbox (claim, send, record) and through nodemailer directly (issue 18).',
    goals: [ratioGoal('outbox ≥ 0.8× nodemailer direct (median of per-round ratios)', 'bulk_messages_per_s: ai-stack / nodemailer-direct', (v) => v >= 0.8)],
  },
  {
    id: 'web',
    title: 'Web console',
    command: 'npm run bench:web',
    file: 'web',
    metrics: ['initial_js_gz_kb', 'lighthouse_performance', 'lcp_ms'],
    about: 'Initial JavaScript of the console shell, and Lighthouse (mobile preset, Debian Chromium) on every route (issue 19).',
    goals: [
      valueGoal('initial JS of the shell ≤ 100 kB gzip', 'initial_js_gz_kb', 'ai-stack', 'kb', (v) => v <= 100),
      {
        text: 'Lighthouse performance ≥ 95 on every route (worst route)',
        unit: 'score',
        value: (r) => worst(r, 'lighthouse_performance', (xs) => Math.min(...xs)),
        met: (v) => v >= 95,
      },
      { text: 'LCP ≤ 2.5 s on every route (worst route)', unit: 'ms', value: (r) => worst(r, 'lcp_ms', (xs) => Math.max(...xs)), met: (v) => v <= 2500 },
    ],
  },
  {
    id: 'seed',
    title: "The seed's promises",
    command: 'npm run bench:seed',
    file: 'seed',
    // The four claims, then background work: what a caller waits for the 202 (on) vs for the work itself (off).
    metrics: [
      'api_latency_change_pct',
      'db_query_time_change_pct',
      'concurrency_factor',
      'throughput_factor',
      'upload_answer_ms',
      'report_answer_ms',
      'mail_answer_ms',
    ],
    about:
      "The same service and workload with each feature switched off and on, against the ranges the seed claims (issue 20); `*_answer_ms`: the ms a caller waits for the work itself (off) vs for the background task's 202 (on).",
    goals: [],
    goalsFrom: (results) =>
      ['api_latency_change_pct', 'db_query_time_change_pct', 'concurrency_factor', 'throughput_factor']
        .map((metric) => seedClaimGoal(results, metric))
        .filter((goal): goal is Goal => goal !== undefined),
  },
);

// Page order: each area's sections together (the phase-2 sections were appended above).
const ORDER = ['cache', 'http', 'http-etag', 'db', 'demo-data', 'tasks', 'task-backends', 'task-cross-process'];
SECTIONS.sort((a, b) => (ORDER.includes(a.id) ? ORDER.indexOf(a.id) : ORDER.length) - (ORDER.includes(b.id) ? ORDER.indexOf(b.id) : ORDER.length));
