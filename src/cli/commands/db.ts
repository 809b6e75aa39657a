import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { adviseIndexes, indexHealth, migrateToLatest, openDatabase, type AdviceReport } from '../../db/index.ts';
import { ValidationError } from '../../shared/errors.ts';
import type { CliContext, Command } from '../command.ts';

const USAGE = `Usage:
  ai-stack db advise "<SELECT …>" [--min-speedup N]   index suggestions, each verified by the planner
  ai-stack db advise --file query.sql [--min-speedup N]
  ai-stack db indexes                                  duplicate, unused and invalid indexes`;

export const dbCommand: Command = {
  name: 'db',
  summary: 'Database tools: index advisor (db advise) and index health (db indexes)',
  usage: USAGE,
  async run(args, ctx) {
    const [action, ...rest] = args;
    if (action !== 'advise' && action !== 'indexes') {
      ctx.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const config = ctx.loadConfig();
    const db = await openDatabase(config.database, { slowQueries: false });
    try {
      await migrateToLatest(db);
      if (action === 'indexes') {
        ctx.stdout.write(`${JSON.stringify(await indexHealth(db), null, 2)}\n`);
        return 0;
      }
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { file: { type: 'string' }, 'min-speedup': { type: 'string' } } });
      const sqlText = values.file !== undefined ? await readFile(values.file, 'utf8') : positionals.join(' ');
      if (sqlText.trim() === '') throw new ValidationError('db advise needs a SELECT statement (as an argument or with --file)');
      const minSpeedup = values['min-speedup'] === undefined ? undefined : Number(values['min-speedup']);
      if (minSpeedup !== undefined && !(minSpeedup >= 1)) throw new ValidationError('--min-speedup must be a number ≥ 1');
      printAdvice(await adviseIndexes(db, sqlText, minSpeedup === undefined ? {} : { minSpeedup }), ctx);
      return 0;
    } finally {
      await db.close();
    }
  },
};

function printAdvice(report: AdviceReport, ctx: CliContext): void {
  ctx.stdout.write(`Plan cost ${report.costBefore.toFixed(1)} (${report.dialect}, verified by ${report.method}).\n`);
  if (report.suggestions.length === 0) {
    ctx.stdout.write(`No index suggested: ${(report.reason ?? 'the statement is already well served').replace(/\.$/, '')}.\n`);
    return;
  }
  for (const s of report.suggestions) {
    ctx.stdout.write(`\n${s.statement};\n  cost ${s.costBefore.toFixed(1)} → ${s.costAfter.toFixed(1)} (${s.speedup.toFixed(1)}× cheaper): ${s.reason}\n`);
  }
}
