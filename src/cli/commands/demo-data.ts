import { parseArgs } from 'node:util';
import { loadDemoData, migrateToLatest, openDatabase, type DemoDataProgress } from '../../db/index.ts';
import { AiStackError, ConflictError, ValidationError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';

const USAGE =
  'Usage: ai-stack demo-data --orders <N> [--seed <S>] [--append]\n\nFills the ERP tables with realistic, deterministic data (same seed, same rows).';

export const demoDataCommand: Command = {
  name: 'demo-data',
  summary: 'Load realistic, deterministic ERP demo data (e.g. --orders 1000000)',
  usage: USAGE,
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      options: { orders: { type: 'string', default: '10000' }, seed: { type: 'string', default: '42' }, append: { type: 'boolean', default: false } },
      strict: true,
    });
    const orders = Number(values.orders);
    const seed = Number(values.seed);
    if (!Number.isInteger(orders) || orders < 1 || orders > 20_000_000) throw new ValidationError('--orders must be a whole number from 1 to 20,000,000');
    if (!Number.isInteger(seed)) throw new ValidationError('--seed must be a whole number');
    const config = ctx.loadConfig();
    const db = await openDatabase(config.database);
    try {
      await migrateToLatest(db);
      const started = performance.now();
      // A terminal gets one line rewritten in place a few times a second; a log gets a JSON line every 2 s.
      const tty = (ctx.stderr as { isTTY?: boolean }).isTTY === true;
      let lastPrinted = -Infinity;
      const report = await loadDemoData(db, {
        orders,
        seed,
        append: values.append,
        onProgress: (p) => {
          const now = performance.now();
          if (now - lastPrinted < (tty ? 250 : 2000)) return;
          lastPrinted = now;
          ctx.stderr.write(tty ? `\r${formatProgress(p, now - started).padEnd(72)}` : `  ${JSON.stringify(p)}\n`);
        },
      }).catch((error: unknown) => {
        if (error instanceof AiStackError && error.code === 'demo_data_not_empty') {
          throw new ConflictError('The ERP tables already hold data: run demo-data on an empty database, or pass --append to add more rows', {
            code: error.code,
          });
        }
        throw error;
      });
      if (tty) ctx.stderr.write('\n');
      const seconds = (performance.now() - started) / 1000;
      ctx.stdout.write(`Loaded demo data into ${config.database.kind} in ${seconds.toFixed(1)} s: ${JSON.stringify(report)}\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};

/** `orders 45.0% · 123,456 rows · 61,728 rows/s · ETA 12 s` */
export function formatProgress(p: DemoDataProgress, elapsedMs: number): string {
  const fraction = p.ordersTotal > 0 ? Math.min(1, p.ordersDone / p.ordersTotal) : 0;
  const rate = elapsedMs > 0 ? p.rowsWritten / (elapsedMs / 1000) : 0;
  const eta = fraction > 0 && fraction < 1 ? Math.round((elapsedMs / fraction - elapsedMs) / 1000) : undefined;
  const n = (v: number): string => Math.round(v).toLocaleString('en-US');
  return `  ${p.phase} ${(fraction * 100).toFixed(1)}% · ${n(p.rowsWritten)} rows · ${n(rate)} rows/s · ETA ${eta === undefined ? '–' : `${eta} s`}`;
}
