import { parseArgs } from 'node:util';
import { loadDemoData, migrateToLatest, openDatabase } from '../../db/index.ts';
import { ValidationError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';

const USAGE = 'Usage: ai-stack demo-data --orders <N> [--seed <S>] [--append]\n\nFills the ERP tables with realistic, deterministic data (same seed, same rows).';

export const demoDataCommand: Command = {
  name: 'demo-data',
  summary: 'Load realistic, deterministic ERP demo data (e.g. --orders 1000000)',
  usage: USAGE,
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { orders: { type: 'string', default: '10000' }, seed: { type: 'string', default: '42' }, append: { type: 'boolean', default: false } }, strict: true });
    const orders = Number(values.orders);
    const seed = Number(values.seed);
    if (!Number.isInteger(orders) || orders < 1 || orders > 20_000_000) throw new ValidationError('--orders must be a whole number from 1 to 20,000,000');
    if (!Number.isInteger(seed)) throw new ValidationError('--seed must be a whole number');
    const config = ctx.loadConfig();
    const db = await openDatabase(config.database);
    try {
      await migrateToLatest(db);
      const started = performance.now();
      let lastPrinted = 0;
      const report = await loadDemoData(db, {
        orders,
        seed,
        append: values.append,
        onProgress: (p) => {
          const now = performance.now();
          if (now - lastPrinted < 2000) return;
          lastPrinted = now;
          ctx.stderr.write(`  ${JSON.stringify(p)}\n`);
        },
      });
      const seconds = (performance.now() - started) / 1000;
      ctx.stdout.write(`Loaded demo data into ${config.database.kind} in ${seconds.toFixed(1)} s: ${JSON.stringify(report)}\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};
