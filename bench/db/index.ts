/**
 * Database toolkit benchmark (issue 5), one run per dialect:
 *   node bench/db/index.ts [--dialect sqlite|postgres|both] [--orders 1000000] [--rows 100000]
 *                          [--parts advisor,batch,slowlog]
 * 1. advisor: each workload query's median time before and after applying the advisor's proposals
 *    (on the demo data kept by bench/db/demo-load.ts, loaded first if missing; indexes dropped after);
 * 2. batch writer rows/s vs row-by-row autocommit and (PostgreSQL) COPY;
 * 3. slow-query log overhead on a PK-lookup-heavy loop.
 * Prints a table and writes bench/results/db-<dialect>.json.
 */
import { existsSync, rmSync } from 'node:fs';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import type { DatabaseConfig } from '../../src/config/index.ts';
import { adviseIndexes, batchInsert, copyRows, loadDemoData, migrateToLatest, openDatabase, type Db } from '../../src/db/index.ts';
import { recordResult, type Results } from './results.ts';
import { flag, postgresTarget, resetPostgresSchema, sqliteTarget } from './targets.ts';
import { ADVISOR_WORKLOAD, median, runRaw } from './workload.ts';

const orders = Number(flag('orders', '1000000'));
const batchRows = Number(flag('rows', '100000'));
const parts = new Set(flag('parts', 'advisor,batch,slowlog').split(','));
const dialects = flag('dialect', 'both') === 'both' ? ['sqlite', 'postgres'] : [flag('dialect', 'sqlite')];

async function demoDatabase(dialect: string): Promise<Db> {
  const name = `demo_${orders}`;
  const config = dialect === 'sqlite' ? sqliteTarget(name) : postgresTarget(name);
  const exists = config.kind === 'sqlite' ? existsSync(config.file) : await schemaHasOrders(config);
  const db = await openDatabase(config, { slowQueries: false });
  if (!exists) {
    if (config.kind === 'postgres') await resetPostgresSchema(name);
    await migrateToLatest(db);
    console.error(`loading ${orders} demo orders into ${dialect}…`);
    await loadDemoData(db, { orders });
  }
  return db;
}

async function schemaHasOrders(config: DatabaseConfig): Promise<boolean> {
  const db = await openDatabase(config, { slowQueries: false });
  try {
    return (await sql<{ n: number }>`select count(*) as n from orders`.execute(db.kysely)).rows[0]!.n > 0;
  } catch {
    return false;
  } finally {
    await db.close();
  }
}

async function advisorBench(db: Db, results: Results, rows: string[][]): Promise<void> {
  for (const query of ADVISOR_WORKLOAD) {
    await runRaw(db, query.sql);
    const before = await median(5, () => runRaw(db, query.sql));
    const report = await adviseIndexes(db, query.sql);
    const created: string[] = [];
    for (const suggestion of report.suggestions) {
      await sql.raw(suggestion.statement.replace(' concurrently', '')).execute(db.kysely);
      created.push(/create index (?:concurrently )?(\w+)/.exec(suggestion.statement)![1]!);
    }
    if (db.dialect === 'postgres' && created.length > 0) await sql.raw('analyze').execute(db.kysely);
    await runRaw(db, query.sql);
    const after = await median(5, () => runRaw(db, query.sql));
    for (const index of created) await sql.raw(`drop index ${index}`).execute(db.kysely);
    const proposal = report.suggestions.map((s) => `${s.table}(${s.columns.join(', ')})`).join('; ') || `none: ${report.reason ?? ''}`.slice(0, 60);
    results[`query_ms_${query.name.split(' ')[0]}`] = { before: round(before), after: round(after) };
    rows.push([query.name, `${round(before)} ms`, `${round(after)} ms`, `${round(before / after)}×`, proposal]);
  }
}

async function batchBench(dialect: string, results: Results, rows: string[][]): Promise<void> {
  const config: DatabaseConfig = dialect === 'sqlite' ? sqliteTarget('batch') : postgresTarget('bench_batch');
  if (config.kind === 'sqlite') for (const s of ['', '-wal', '-shm']) rmSync(config.file + s, { force: true });
  else await resetPostgresSchema('bench_batch');
  const db = await openDatabase(config, { slowQueries: false });
  await migrateToLatest(db);
  const row = (i: number) => ({ entry_date: '2026-01-01', account_code: i % 2 ? '1000' : '4000', debit_cents: i % 2 ? 100 + i : 0, credit_cents: i % 2 ? 0 : 100 + i, reference: `BENCH-${i}`, description: 'benchmark row' });
  const clear = () => sql`delete from ledger_entries`.execute(db.kysely);
  const rowByRowCount = dialect === 'sqlite' ? 5_000 : 2_000;
  let started = performance.now();
  for (let i = 0; i < rowByRowCount; i++) await db.kysely.insertInto('ledger_entries').values(row(i)).execute();
  const rowByRow = rowByRowCount / ((performance.now() - started) / 1000);
  await clear();
  const data = Array.from({ length: batchRows }, (_, i) => row(i));
  started = performance.now();
  const chunk = flag('chunk', '');
  await batchInsert(db, 'ledger_entries', data, chunk ? { chunkSize: Number(chunk) } : {});
  const batch = batchRows / ((performance.now() - started) / 1000);
  await clear();
  const figures: Record<string, number> = { 'ai-stack': Math.round(batch), 'row-by-row': Math.round(rowByRow) };
  if (dialect === 'postgres') {
    const columns = ['entry_date', 'account_code', 'debit_cents', 'credit_cents', 'reference', 'description'] as const;
    const tuples = data.map((r) => columns.map((c) => r[c]));
    started = performance.now();
    await copyRows(db, 'ledger_entries', columns, tuples);
    figures.copy = Math.round(batchRows / ((performance.now() - started) / 1000));
  }
  results.batch_insert_rows_per_s = figures;
  rows.push(['batch insert rows/s', `ai-stack ${figures['ai-stack']}`, `row-by-row ${figures['row-by-row']}`, `${round(batch / rowByRow)}×`, figures.copy ? `COPY ${figures.copy} (ai-stack = ${round(batch / figures.copy)}× COPY)` : '']);
  await db.close();
  if (config.kind === 'postgres') await resetPostgresSchema('bench_batch', true);
}

async function slowLogBench(dialect: string, results: Results, rows: string[][]): Promise<void> {
  const name = `demo_${orders}`;
  const config = dialect === 'sqlite' ? sqliteTarget(name) : postgresTarget(name);
  // "on" is the production configuration: slow-query log plus its Prometheus histogram.
  const on = await openDatabase(config, { slowQueries: { thresholdMs: 100 }, registry: new Registry() });
  const off = await openDatabase(config, { slowQueries: false });
  const lookups = dialect === 'sqlite' ? 20_000 : 5_000;
  const loop = (db: Db) => async () => {
    for (let i = 1; i <= lookups; i++) await db.kysely.selectFrom('customers').select(['id', 'name']).where('id', '=', (i % 20_000) + 1).execute();
  };
  // CPU time of this process, not wall time: the slow log's cost is CPU in our process, and the
  // shared machine makes wall time swing by ±20 %. Variants alternate; the first round warms up.
  const cpu = { on: [] as number[], off: [] as number[] };
  const wall = { on: [] as number[], off: [] as number[] };
  for (let round = 0; round < 9; round++) {
    const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
    for (const variant of order) {
      const startedCpu = process.cpuUsage();
      const startedWall = performance.now();
      await loop(variant === 'on' ? on : off)();
      const used = process.cpuUsage(startedCpu);
      if (round === 0) continue;
      cpu[variant].push((used.user + used.system) / 1000);
      wall[variant].push(performance.now() - startedWall);
    }
  }
  const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const overhead = ((mid(cpu.on) - mid(cpu.off)) / mid(wall.off)) * 100;
  results.slow_log_lookups_per_s = { off: Math.round(lookups / (mid(wall.off) / 1000)), on: Math.round(lookups / (mid(wall.on) / 1000)) };
  results.slow_log_cpu_ms_per_1000_queries = { off: round((mid(cpu.off) / lookups) * 1000), on: round((mid(cpu.on) / lookups) * 1000) };
  results.slow_log_overhead_percent = { 'ai-stack': round(overhead) };
  rows.push(['slow-log overhead (PK lookups)', `off ${results.slow_log_lookups_per_s.off}/s`, `on ${results.slow_log_lookups_per_s.on}/s`, `${round(overhead)} %`, '']);
  await on.close();
  await off.close();
}

const round = (n: number): number => Math.round(n * 100) / 100;

for (const dialect of dialects) {
  const results: Results = {};
  const rows: string[][] = [];
  if (parts.has('advisor')) {
    const db = await demoDatabase(dialect);
    await advisorBench(db, results, rows);
    await db.close();
  }
  if (parts.has('batch')) await batchBench(dialect, results, rows);
  if (parts.has('slowlog')) await slowLogBench(dialect, results, rows);
  recordResult(`db-${dialect}`, results);
  console.log(`\n## ${dialect} — demo data ${orders} orders, batch ${batchRows} rows`);
  console.log('| measurement | before / peer | after / ai-stack | ratio | note |\n|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}
