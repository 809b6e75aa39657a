/**
 * Times `loadDemoData` for N orders on one dialect into a fresh database that is kept for the
 * advisor benchmark: `node bench/db/demo-load.ts --dialect sqlite|postgres --orders 1000000`.
 */
import { rmSync } from 'node:fs';
import type { DatabaseConfig } from '../../src/config/index.ts';
import { loadDemoData, migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { BENCH_POSTGRES, flag, postgresTarget, resetPostgresSchema, sqliteTarget } from './targets.ts';

const dialect = flag('dialect', 'sqlite');
const orders = Number(flag('orders', '1000000'));
const name = `demo_${orders}`;
const run = await beginRun(
  `node bench/db/demo-load.ts --dialect ${dialect} --orders ${orders}`,
  machineFacts(dialect === 'postgres' ? { postgresUrl: BENCH_POSTGRES } : {}),
);
let config: DatabaseConfig;
if (dialect === 'sqlite') {
  const file = sqliteTarget(name);
  config = file;
  if (file.kind === 'sqlite') for (const suffix of ['', '-wal', '-shm']) rmSync(file.file + suffix, { force: true });
} else {
  await resetPostgresSchema(name);
  config = postgresTarget(name);
}
const db = await openDatabase(config);
await migrateToLatest(db);
let lastLog = 0;
const report = await loadDemoData(db, {
  orders,
  onProgress: (p) => {
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      console.error(`${p.phase} ${p.ordersDone}/${p.ordersTotal} orders, ${p.rowsWritten} rows`);
    }
  },
});
await db.close();
const seconds = report.durationMs / 1000;
console.log(JSON.stringify(report));
console.log(`${dialect}: ${orders} orders, ${report.totalRows} rows in ${seconds.toFixed(1)} s (${Math.round(report.totalRows / seconds)} rows/s)`);
const summary = {
  [`load_${orders}_orders_seconds`]: { [dialect]: Number(seconds.toFixed(1)) },
  [`load_${orders}_orders_rows_per_s`]: { [dialect]: Math.round(report.totalRows / seconds) },
};
writeResults('demo-data', dialect, summary, run.finish({ settings: { metrics: Object.keys(summary), orders, rows: report.totalRows, seed: 'default' } }));
