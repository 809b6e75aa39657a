/**
 * Database toolkit benchmark (issue 5), one run per dialect:
 *   node bench/db/index.ts [--dialect sqlite|postgres|both] [--orders 1000000] [--rows 100000]
 *                          [--parts advisor,batch,slowlog]
 * 1. advisor: each workload query's median time before and after applying the advisor's proposals
 *    (on the demo data kept by bench/db/demo-load.ts, loaded first if missing; indexes dropped after);
 * 2. batch writer rows/s vs row-by-row autocommit and (PostgreSQL) COPY;
 * 3. slow-query log overhead on a PK-lookup-heavy loop, with an A/A noise floor.
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

const BATCH_COLUMNS = ['entry_date', 'account_code', 'debit_cents', 'credit_cents', 'reference', 'description'] as const;
const ledgerRow = (i: number) => ({ entry_date: '2026-01-01', account_code: i % 2 ? '1000' : '4000', debit_cents: i % 2 ? 100 + i : 0, credit_cents: i % 2 ? 0 : 100 + i, reference: `BENCH-${i}`, description: 'benchmark row' });

/** Rows per second of `write(count)`: one warm-up run (JIT, statement caches), then the median of three. */
async function rowsPerSecond(db: Db, count: number, write: (count: number) => Promise<unknown>): Promise<number> {
  const clear = () => sql`delete from ledger_entries`.execute(db.kysely);
  await write(Math.min(count, 1000));
  await clear();
  const runs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    await write(count);
    runs.push(count / ((performance.now() - started) / 1000));
    await clear();
  }
  return medianOf(runs);
}

/**
 * Batch writer vs row-by-row autocommit (each row its own Kysely INSERT, as application code would
 * write it) and, on PostgreSQL, COPY. SQLite runs in its default durability (`synchronous=full`, one
 * fsync per commit, like PostgreSQL) and again with the opt-in `normal`, where commits skip the fsync.
 */
async function batchBench(dialect: string, results: Results, rows: string[][]): Promise<void> {
  const variants: { label: string; key: string; config: DatabaseConfig }[] = dialect === 'sqlite'
    ? [
        { label: 'synchronous=full (default)', key: 'batch_insert_rows_per_s', config: sqliteTarget('batch', 'full') },
        { label: 'synchronous=normal', key: 'batch_insert_rows_per_s_sqlite_synchronous_normal', config: sqliteTarget('batch', 'normal') },
      ]
    : [{ label: '', key: 'batch_insert_rows_per_s', config: postgresTarget('bench_batch') }];
  const data = Array.from({ length: batchRows }, (_, i) => ledgerRow(i));
  for (const { label, key, config } of variants) {
    if (config.kind === 'sqlite') for (const s of ['', '-wal', '-shm']) rmSync(config.file + s, { force: true });
    else await resetPostgresSchema('bench_batch');
    const db = await openDatabase(config, { slowQueries: false });
    await migrateToLatest(db);
    const rowByRow = await rowsPerSecond(db, dialect === 'sqlite' ? 5_000 : 1_000, async (count) => {
      for (let i = 0; i < count; i++) await db.kysely.insertInto('ledger_entries').values(data[i]!).execute();
    });
    const chunk = flag('chunk', '');
    const batch = await rowsPerSecond(db, batchRows, (count) => batchInsert(db, 'ledger_entries', data.slice(0, count), chunk ? { chunkSize: Number(chunk) } : {}));
    const figures: Record<string, number> = { 'ai-stack': Math.round(batch), 'row-by-row': Math.round(rowByRow) };
    if (dialect === 'postgres') {
      const tuples = data.map((r) => BATCH_COLUMNS.map((c) => r[c]));
      figures.copy = Math.round(await rowsPerSecond(db, batchRows, (count) => copyRows(db, 'ledger_entries', BATCH_COLUMNS, tuples.slice(0, count))));
    }
    results[key] = figures;
    const note = figures.copy ? `COPY ${figures.copy} (ai-stack = ${round(batch / figures.copy)}× COPY)` : label;
    rows.push(['batch insert rows/s', `row-by-row ${figures['row-by-row']}`, `ai-stack ${figures['ai-stack']}`, `${round(batch / rowByRow)}×`, note]);
    await db.close();
    if (config.kind === 'postgres') await resetPostgresSchema('bench_batch', true);
  }
}

/**
 * Slow-query log overhead: the extra CPU our process spends per statement with the log on (in its
 * production configuration, with the Prometheus histogram), on the cheapest statement there is, a
 * primary-key lookup. Short blocks of lookups run in rotating order for many rounds: "on", "off" and
 * "off" again, whose ratio to the first "off" is the measurement's noise floor (an A/A test). Each
 * figure is the median of the per-round ratios, so a GC pause or a neighbour's load spike moves one
 * sample, not the result. All three use the same connections, the drivers' statement hook
 * (`db.timing.onQuery`) switched on and off between blocks: exactly the code paths of the default and
 * of `slowQueries: false`. Separate connections differ by up to ±2 % on SQLite and ±16 % on
 * PostgreSQL on their own (memory placement, caches, the server's scheduling), far more than the effect.
 */
async function slowLogBench(dialect: string, results: Results, rows: string[][]): Promise<void> {
  const name = `demo_${orders}`;
  const config = dialect === 'sqlite' ? sqliteTarget(name) : postgresTarget(name);
  const db = await openDatabase(config, { slowQueries: { thresholdMs: 100 }, registry: new Registry() });
  const hook = db.timing.onQuery;
  const variants = { on: hook, off: undefined, 'off (A/A)': undefined };
  const block = dialect === 'sqlite' ? 2_000 : 300;
  const lookups = async () => {
    for (let i = 1; i <= block; i++) await db.kysely.selectFrom('customers').select(['id', 'name']).where('id', '=', (i % 20_000) + 1).execute();
  };
  const names = Object.keys(variants) as (keyof typeof variants)[];
  const cpu = { on: [] as number[], off: [] as number[], 'off (A/A)': [] as number[] };
  const wall = { on: [] as number[], off: [] as number[], 'off (A/A)': [] as number[] };
  for (let round = 0; round < 103; round++) {
    for (let k = 0; k < names.length; k++) {
      const variant = names[(round + k) % names.length]!;
      const startedCpu = process.cpuUsage();
      const startedWall = performance.now();
      db.timing.onQuery = variants[variant];
      await lookups();
      const used = process.cpuUsage(startedCpu);
      if (round < 3) continue; // warm-up: JIT, statement caches, page cache
      cpu[variant].push(used.user + used.system);
      wall[variant].push(performance.now() - startedWall);
    }
  }
  const ratioPercent = (a: number[], b: number[]) => (medianOf(a.map((value, i) => value / b[i]!)) - 1) * 100;
  const overhead = ratioPercent(cpu.on, cpu.off);
  const noise = ratioPercent(cpu['off (A/A)'], cpu.off);
  const perSecond = (ms: number[]) => Math.round(block / (medianOf(ms) / 1000));
  results.slow_log_lookups_per_s = { off: perSecond(wall.off), on: perSecond(wall.on) };
  results.slow_log_cpu_us_per_query = { off: round(medianOf(cpu.off) / block), on: round(medianOf(cpu.on) / block) };
  results.slow_log_overhead_percent = { 'ai-stack': round(overhead), 'a/a noise': round(noise) };
  rows.push(['slow-log overhead (PK lookups, CPU per query)', `off ${results.slow_log_cpu_us_per_query.off} µs`, `on ${results.slow_log_cpu_us_per_query.on} µs`, `${round(overhead)} %`, `A/A noise ${round(noise)} %; ${results.slow_log_lookups_per_s.on} lookups/s on`]);
  db.timing.onQuery = hook;
  await db.close();
}

const medianOf = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

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
