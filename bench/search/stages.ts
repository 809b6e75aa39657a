// Diagnostic, not published: where a bench:search query's time goes, on the benchmark's corpus. Keeps its SQLite file
// and PostgreSQL schema between runs (STAGES_DIR, STAGES_SCHEMA) so that repeated looks do not re-index; `--fresh`
// rebuilds them. Prints per-stage timings (`--no-timings` skips them); `--explain` runs EXPLAIN ANALYZE on every
// statement of one PostgreSQL search (STAGES_Q, or the first English and Chinese heading); `--base DIR` compares these
// engines with another checkout's src/ (`git archive HEAD src | tar -x -C DIR`, node_modules linked) in rotated rounds
// on the same data (STAGES_BASE_SCHEMA: the base's own PostgreSQL tables), and their MRR@10 over every heading
// (`--mrr-only` skips the rounds).
// Run: node bench/search/stages.ts [--fresh] [--no-timings] [--explain] [--base DIR [--mrr-only]]
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../src/db/index.ts';
import { Analyzer, PostgresSearchEngine, SqliteSearchEngine, type SearchEngine } from '../../src/search/index.ts';
import type * as SearchModule from '../../src/search/index.ts';
import { highlight } from '../../src/search/highlight.ts';
import { planQuery } from '../../src/search/query/plan.ts';
import { percentile } from '../lib/stats.ts';
import { benchCorpus, mrr10 } from './corpus.ts';

const DIR = process.env['STAGES_DIR'] ?? '/tmp/ai-stack-search-stages';
const SCHEMA = process.env['STAGES_SCHEMA'] ?? 'search_stages';
const POSTGRES = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://root@127.0.0.1:5432/test';
const fresh = process.argv.includes('--fresh');

const corpus = benchCorpus(10_000);
const analyzer = new Analyzer();
if (fresh) rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
const filled = existsSync(join(DIR, 'filled'));
const sqliteDb = await openDatabase({ kind: 'sqlite', file: join(DIR, 'full.db') }, { slowQueries: false });
const sqlite = new SqliteSearchEngine(sqliteDb.kysely, analyzer);
await sqlite.init();
const admin = new pg.Client({ connectionString: POSTGRES });
await admin.connect();
if (fresh || !filled) await admin.query(`drop schema if exists ${SCHEMA} cascade`);
await admin.query(`create schema if not exists ${SCHEMA}`);
const pgDb = await openDatabase(
  { kind: 'postgres', url: `${POSTGRES}?options=${encodeURIComponent(`-c search_path=${SCHEMA}`)}`, poolSize: 2 },
  { slowQueries: false },
);
const postgres = new PostgresSearchEngine(pgDb.kysely, analyzer);
await postgres.init();
if (!filled) {
  for (const engine of [sqlite, postgres] as SearchEngine[]) {
    const t = Date.now();
    for (let k = 0; k < corpus.chunks.length; k += 500) await engine.upsert(corpus.chunks.slice(k, k + 500));
    console.log(`${engine.name} filled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  // Every table of the index (documents, terms, postings), as autovacuum would after the load.
  const { rows: loaded } = await admin.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = $1`, [SCHEMA]);
  for (const { name } of loaded) await admin.query(`vacuum analyze ${SCHEMA}.${name}`);
  (await import('node:fs')).writeFileSync(join(DIR, 'filled'), '');
}

const step = Math.max(1, Math.floor(corpus.queries.length / 200));
const sample = corpus.queries.filter((_, k) => k % step === 0).slice(0, 200);
const stat = (label: string, times: number[]) =>
  console.log(
    `${label.padEnd(34)} p50 ${percentile(times, 0.5).toFixed(2)} ms  p95 ${percentile(times, 0.95).toFixed(2)} ms  mean ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(2)} ms`,
  );

const bodies = new Map(corpus.chunks.map((c) => [c.id, c.body]));
const skipTimings = process.argv.includes('--no-timings');
const planTimes: number[] = [];
for (const { q } of sample) {
  const s = performance.now();
  planQuery(analyzer, q);
  planTimes.push(performance.now() - s);
}
stat('plan (parse + analyse query)', planTimes);

for (const engine of skipTimings ? [] : ([sqlite, postgres] as SearchEngine[])) {
  for (const { q } of sample.slice(0, 20)) await engine.search({ q, limit: 10 });
  const total: number[] = [];
  const hl: number[] = [];
  const slow: Array<{ q: string; ms: number; total: number }> = [];
  for (const { q } of sample) {
    const s = performance.now();
    const result = await engine.search({ q, limit: 10 });
    const ms = performance.now() - s;
    total.push(ms);
    slow.push({ q, ms, total: result.total });
    const plan = planQuery(analyzer, q);
    const h = performance.now();
    for (const hit of result.hits) highlight(analyzer, plan, bodies.get(hit.id) ?? '');
    hl.push(performance.now() - h);
  }
  stat(`${engine.name}: search()`, total);
  stat(`${engine.name}: highlight of 10 bodies`, hl);
  slow.sort((a, b) => b.ms - a.ms);
  console.log(
    `${engine.name} slowest:`,
    slow.slice(0, 8).map((x) => `${x.ms.toFixed(1)}ms n=${x.total} ${x.q}`),
  );
}

// --explain: EXPLAIN ANALYZE of every statement one PostgreSQL search runs, for the first English and Chinese query.
if (process.argv.includes('--explain')) {
  const statements: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  const recording = pgDb.kysely.withPlugin({
    transformQuery: (args) => {
      const compiled = pgDb.kysely.getExecutor().compileQuery(args.node, args.queryId);
      statements.push({ sql: compiled.sql, parameters: compiled.parameters });
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  const recorder = new PostgresSearchEngine(recording, analyzer);
  await admin.query(`set search_path = ${SCHEMA}`);
  if (process.env['STAGES_NOSEQ']) await admin.query('set enable_seqscan = off');
  const explained = process.env['STAGES_Q']
    ? [process.env['STAGES_Q']]
    : ['en', 'zh-cn'].map((language) => sample.find((x) => x.language === language)?.q ?? '');
  for (const q of explained) {
    await recorder.search({ q, limit: 10 });
    statements.length = 0;
    await recorder.search({ q, limit: 10 });
    console.log(`\n===== ${q}`);
    for (const st of statements) {
      console.log(`--- ${st.sql.replace(/\s+/g, ' ').slice(0, 600)}`);
      const { rows } = await admin.query(`explain (analyze, buffers) ${st.sql}`, st.parameters as unknown[]);
      console.log(rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
    }
  }
}

// --base DIR: the same queries, in rotated rounds, against the engines of another checkout's src/ (e.g. `git archive
// HEAD src | tar -x -C DIR`) on the same tables: before and after in one run, under the same load.
const baseAt = process.argv.indexOf('--base');
if (baseAt !== -1) {
  const base = (await import(join(process.argv[baseAt + 1] as string, 'src/search/index.ts'))) as typeof SearchModule;
  const baseAnalyzer = new base.Analyzer();
  // STAGES_BASE_SCHEMA: the base engine's own tables (e.g. laid out by the base's createGeneration).
  const baseSchema = process.env['STAGES_BASE_SCHEMA'] ?? SCHEMA;
  const basePg = await openDatabase(
    { kind: 'postgres', url: `${POSTGRES}?options=${encodeURIComponent(`-c search_path=${baseSchema}`)}`, poolSize: 2 },
    { slowQueries: false },
  );
  const contenders: Array<{ name: string; engine: SearchEngine }> = [
    { name: 'sqlite', engine: sqlite },
    { name: 'sqlite-base', engine: new base.SqliteSearchEngine(sqliteDb.kysely, baseAnalyzer) },
    { name: 'postgres', engine: postgres },
    { name: 'postgres-base', engine: new base.PostgresSearchEngine(basePg.kysely, baseAnalyzer) },
  ];
  for (const c of contenders) for (const { q } of sample.slice(0, 20)) await c.engine.search({ q, limit: 10 });
  const p95s = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < (process.argv.includes('--mrr-only') ? 0 : 5); r++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(r + k) % contenders.length] as (typeof contenders)[number];
      const times: number[] = [];
      for (const { q } of sample) {
        const s = performance.now();
        await c.engine.search({ q, limit: 10 });
        times.push(performance.now() - s);
      }
      p95s.get(c.name)?.push(percentile(times, 0.95));
    }
  }
  for (const c of contenders) {
    if (process.env['STAGES_ONLY'] && !c.name.startsWith(process.env['STAGES_ONLY'])) continue;
    const mrr = await mrr10(corpus.queries, async (q) => (await c.engine.search({ q, limit: 10 })).hits.map((h) => h.id));
    console.log(`${c.name.padEnd(16)} MRR@10 (all ${corpus.queries.length} headings) ${mrr.toFixed(4)}`);
  }
  for (const [name, values] of p95s)
    console.log(`${name.padEnd(16)} p95 median ${percentile(values, 0.5).toFixed(2)} ms  rounds ${values.map((v) => v.toFixed(2)).join(' ')}`);
}

await sqliteDb.close();
await pgDb.close();
await admin.end();
