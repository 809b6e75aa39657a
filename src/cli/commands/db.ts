import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { adviseIndexes, indexHealth, migrateToLatest, openDatabase, type AdviceReport } from '../../db/index.ts';
import { ValidationError } from '../../shared/errors.ts';
import type { CliContext, Command } from '../command.ts';

const USAGE = `Usage:
  ai-stack db advise "<SELECT …>" [--min-speedup N] [--param V]… [--measure]
                      index suggestions, each verified by the planner (SQLite: also timed)
  ai-stack db advise --file query.sql [options]
      --param V       a value for the next placeholder ($1, ?): PostgreSQL plans with it instead of a generic plan
      --measure       PostgreSQL: also build each proposal in the rolled-back transaction and time the statement
  ai-stack db indexes duplicate, unused and invalid indexes`;

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
    let options: { sqlText: string; minSpeedup?: number; params?: string[]; measure: boolean } | undefined;
    try {
      if (action === 'advise') options = await adviseArguments(rest);
    } catch (error) {
      ctx.stderr.write(`ai-stack db advise: ${error instanceof Error ? error.message : String(error)}\n`);
      return 2;
    }
    const config = ctx.loadConfig();
    const db = await openDatabase(config.database, { slowQueries: false });
    try {
      await migrateToLatest(db);
      if (action === 'indexes' || !options) {
        const health = await indexHealth(db);
        ctx.stdout.write(`${JSON.stringify(health, null, 2)}\n`);
        for (const warning of health.warnings) ctx.stderr.write(`warning: ${warning}\n`);
        return 0;
      }
      const { sqlText, ...advise } = options;
      printAdvice(await adviseIndexes(db, sqlText, advise), ctx);
      return 0;
    } catch (error) {
      // A statement the advisor or the database rejects is a usage error: one line, exit 2, no stack.
      if (error instanceof ValidationError) {
        ctx.stderr.write(`ai-stack db ${action}: ${error.message}\n`);
        return 2;
      }
      ctx.stderr.write(`ai-stack db ${action}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
      return 1;
    } finally {
      await db.close();
    }
  },
};

async function adviseArguments(rest: string[]): Promise<{ sqlText: string; minSpeedup?: number; params?: string[]; measure: boolean }> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { file: { type: 'string' }, 'min-speedup': { type: 'string' }, param: { type: 'string', multiple: true }, measure: { type: 'boolean' } },
  });
  const sqlText = values.file !== undefined ? await readFile(values.file, 'utf8') : positionals.join(' ');
  if (sqlText.trim() === '') throw new ValidationError('db advise needs a SELECT statement (as an argument or with --file)');
  const minSpeedup = values['min-speedup'] === undefined ? undefined : Number(values['min-speedup']);
  if (minSpeedup !== undefined && !(minSpeedup >= 1)) throw new ValidationError('--min-speedup must be a number ≥ 1');
  return { sqlText, measure: values.measure === true, ...(minSpeedup === undefined ? {} : { minSpeedup }), ...(values.param ? { params: values.param } : {}) };
}

function printAdvice(report: AdviceReport, ctx: CliContext): void {
  ctx.stdout.write(`Plan cost ${report.costBefore.toFixed(1)} (${report.dialect}, verified by ${report.method}).\n`);
  if (report.views.length > 0) ctx.stdout.write(`Views read through to their tables: ${report.views.join(', ')}.\n`);
  if (report.assumption) ctx.stdout.write(`Note: ${report.assumption}.\n`);
  if (report.suggestions.length === 0) {
    ctx.stdout.write(`No index suggested: ${(report.reason ?? 'the statement is already well served').replace(/\.$/, '')}.\n`);
    return;
  }
  for (const s of report.suggestions) {
    const gain = s.measured
      ? `measured ${s.measured.beforeMs} → ${s.measured.afterMs} ms, ${s.measured.atLeast ? 'at least ' : ''}${s.measured.speedup}× faster; planner estimate ${s.estimatedSpeedup}×`
      : `cost ${s.costBefore.toFixed(1)} → ${s.costAfter.toFixed(1)}, ${s.speedup}× cheaper by the planner's estimate`;
    ctx.stdout.write(`\n${s.statement};\n  ${gain}: ${s.reason}\n`);
    if (s.supersedes.length > 0) ctx.stdout.write(`  it starts with the columns of ${s.supersedes.join(', ')}, which it makes redundant\n`);
  }
}
