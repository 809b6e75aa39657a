/**
 * Database toolkit benchmark (issue 5), one run per dialect:
 *   node bench/db/index.ts [--dialect sqlite|postgres|both] [--orders 1000000] [--rows 100000]
 *                          [--parts advisor,batch,slowlog]
 * 1. advisor: each workload query's median time before and after applying the advisor's proposals
 *    (on the demo data kept by bench/db/demo-load.ts, loaded first if missing; indexes dropped after);
 * 2. batch writer rows/s against the baselines a competent developer writes and the raw ceiling (bench/db/batch.ts);
 * 3. slow-query log overhead on a PK-lookup-heavy loop, with an A/A noise floor.
 * Prints a table and writes bench/results/db.json (one part per dialect and measurement).
 */
import { existsSync, rmSync } from 'node:fs';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import type { DatabaseConfig } from '../../src/config/index.ts';
import { adviseIndexes, loadDemoData, migrateToLatest, openDatabase, type Db } from '../../src/db/index.ts';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults, type Summary } from '../lib/results.ts';
import { spread, type Spread } from '../lib/stats.ts';
import { batchBench } from './batch.ts';
import { flag, BENCH_POSTGRES, postgresTarget, resetPostgresSchema, sqliteTarget } from './targets.ts';
import { ADVISOR_WORKLOAD, median, runRaw } from './workload.ts';

const orders = Number(flag('orders', '1000000'));
const batchRows = Number(flag('rows', '50000'));
const roundCount = Math.max(5, Number(flag('rounds', '5')));
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

async function advisorBench(db: Db, results: Summary, rows: string[][]): Promise<void> {
  for (const query of ADVISOR_WORKLOAD) {
    await runRaw(db, query.sql);
    const before = await median(5, () => runRaw(db, query.sql));
    const report = await adviseIndexes(db, query.sql);
    const created: string[] = [];
    for (const suggestion of report.suggestions) {
      await sql.raw(suggestion.statement.replace(' concurrently', '')).execute(db.kysely);
      // The index name as the statement writes it (quoted, schema-qualified on SQLite), so DROP INDEX finds it.
      const name = /create index (?:concurrently )?(\S+) on /.exec(suggestion.statement)?.[1];
      if (name === undefined) throw new Error(`unexpected advisor statement: ${suggestion.statement}`);
      created.push(name);
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
async function slowLogBench(dialect: string, results: Summary, rows: string[][]): Promise<Record<string, Spread>> {
  const name = `demo_${orders}`;
  const config = dialect === 'sqlite' ? sqliteTarget(name) : postgresTarget(name);
  const db = await openDatabase(config, { slowQueries: { thresholdMs: 100 }, registry: new Registry() });
  const hook = db.timing.onQuery;
  const variants = { on: hook, off: undefined, 'off (A/A)': undefined };
  const block = dialect === 'sqlite' ? 2_000 : 300;
  const lookups = async () => {
    for (let i = 1; i <= block; i++)
      await db.kysely
        .selectFrom('customers')
        .select(['id', 'name'])
        .where('id', '=', (i % 20_000) + 1)
        .execute();
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
  const cpuPerQuery = { off: round(medianOf(cpu.off) / block), on: round(medianOf(cpu.on) / block) };
  results[`slow_log_lookups_per_s_${dialect}`] = { off: perSecond(wall.off), on: perSecond(wall.on) };
  results[`slow_log_cpu_us_per_query_${dialect}`] = cpuPerQuery;
  results[`slow_log_overhead_percent_${dialect}`] = { 'ai-stack': round(overhead), 'a/a noise': round(noise) };
  rows.push([
    'slow-log overhead (PK lookups, CPU per query)',
    `off ${cpuPerQuery.off} µs`,
    `on ${cpuPerQuery.on} µs`,
    `${round(overhead)} %`,
    `A/A noise ${round(noise)} %`,
  ]);
  db.timing.onQuery = hook;
  await db.close();
  return {
    [`slow_log_cpu_${dialect}: on / off`]: spread(cpu.on.map((v, i) => v / cpu.off[i]!)),
    [`slow_log_cpu_${dialect}: off (A/A) / off`]: spread(cpu['off (A/A)'].map((v, i) => v / cpu.off[i]!)),
  };
}

const medianOf = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const round = (n: number): number => Math.round(n * 100) / 100;

const packages = ['kysely', 'pg', 'pg-copy-streams'];
for (const dialect of dialects) {
  const command = `node bench/db/index.ts --dialect ${dialect} --orders ${orders} --rows ${batchRows}`;
  const machine = () => machineFacts({ ...(dialect === 'postgres' ? { postgresUrl: BENCH_POSTGRES } : {}), packages });
  const rows: string[][] = [];
  if (parts.has('advisor')) {
    const run = await beginRun(command, machine());
    const results: Summary = {};
    const db = await demoDatabase(dialect);
    await advisorBench(db, results, rows);
    await db.close();
    writeResults(
      'db',
      `advisor-${dialect}`,
      prefixed(results, dialect),
      run.finish({ settings: { metrics: Object.keys(prefixed(results, dialect)), orders, timing: 'median of 5 runs after one warm-up' } }),
    );
  }
  if (parts.has('batch')) {
    const run = await beginRun(command, machine());
    if (dialect === 'postgres') await resetPostgresSchema('bench_batch');
    const config = dialect === 'sqlite' ? sqliteTarget(`batch-${Date.now()}`) : postgresTarget('bench_batch');
    const result = await batchBench(config, batchRows, roundCount, (line) => console.error(line));
    if (config.kind === 'postgres') await resetPostgresSchema('bench_batch', true);
    else for (const suffix of ['', '-wal', '-shm']) rmSync(config.file + suffix, { force: true });
    for (const [key, s] of Object.entries(result.ratios)) rows.push([key, '', '', `${round(s.median)}×`, `min ${round(s.min)}, max ${round(s.max)}`]);
    writeResults(
      'db',
      `batch-${dialect}`,
      result.summary,
      run.finish({
        settings: {
          metrics: Object.keys(result.summary),
          rows: batchRows,
          rounds: roundCount,
          durability:
            dialect === 'sqlite'
              ? 'synchronous=full (default) for every contender, same connection'
              : 'PostgreSQL defaults (fsync on commit) for every contender, same pool',
        },
        ratios: result.ratios,
        rounds: result.rounds,
      }),
    );
  }
  if (parts.has('slowlog')) {
    const run = await beginRun(command, machine());
    const results: Summary = {};
    const ratios = await slowLogBench(dialect, results, rows);
    writeResults(
      'db',
      `slowlog-${dialect}`,
      results,
      run.finish({ settings: { metrics: Object.keys(results), rounds: 100, statement: 'primary-key lookup through Kysely' }, ratios }),
    );
  }
  console.log(`\n## ${dialect} — demo data ${orders} orders, batch ${batchRows} rows`);
  console.log('| measurement | before / peer | after / ai-stack | ratio | note |\n|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

function prefixed(results: Summary, dialect: string): Summary {
  return Object.fromEntries(Object.entries(results).map(([k, v]) => [`${k}_${dialect}`, v]));
}
