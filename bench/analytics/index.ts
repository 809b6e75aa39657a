/**
 * Analytics benchmark (issue 17): `npm run bench:analytics` writes bench/results/analytics.json (rules: bench/README.md).
 *   --parts forecast,xlsx,pivot,chart   (default all)   --orders 1000000   --rows 1000000   --m3-step 10   --rounds 5
 * forecast: M3 competition series (every m3-step-th of 3,003, from the Mcomp R package's data), our forecast vs
 *   R's thetaf() and ets() run here by Rscript on the same series; mean sMAPE and MASE (forecast.ts).
 * xlsx: rows × 8 typed columns, ours vs exceljs's streaming WorkbookWriter, each in its own process (xlsx.ts).
 * pivot: month × region × category, revenue, margin %, order count with all subtotals on the demo data, both
 *   dialects, cold and cached (pivot.ts).
 * chart: an 800×400 line chart of 144 points to SVG, through our renderer and calling ECharts directly (chart.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { chartPart } from './chart.ts';
import { forecastPart } from './forecast.ts';
import { pivotPart } from './pivot.ts';
import { xlsxPart } from './xlsx.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const parts = new Set(flag('parts', 'forecast,xlsx,pivot,chart').split(','));
const rounds = Math.max(1, Number(flag('rounds', '5'))); // below 5 only for smoke runs (bench:all --smoke)
const command = `node bench/analytics/index.ts ${args.join(' ')}`.trim();
const postgresUrl = 'postgres://root@127.0.0.1:5432/test';
const facts = (packages: string[], withPostgres = false) => machineFacts({ packages, ...(withPostgres ? { postgresUrl } : {}) });
const work = mkdtempSync(join(tmpdir(), 'ai-stack-bench-analytics-'));

try {
  if (parts.has('forecast')) {
    const run = await beginRun(command, facts([]));
    const result = forecastPart(work, Number(flag('m3-step', '10')));
    writeResults(
      'analytics',
      'forecast',
      result.summary,
      run.finish({ settings: { metrics: Object.keys(result.summary), ...result.settings }, rounds: { fitCpuMs: result.fitCpuMs.values } }),
    );
  }
  if (parts.has('xlsx')) {
    const run = await beginRun(command, facts(['exceljs']));
    const result = await xlsxPart(work, Number(flag('rows', '1000000')), rounds);
    writeResults(
      'analytics',
      'xlsx',
      result.summary,
      run.finish({ settings: { metrics: Object.keys(result.summary), ...result.settings }, ratios: result.ratios, rounds: result.rounds }),
    );
  }
  if (parts.has('pivot')) {
    const run = await beginRun(command, facts(['kysely', 'pg'], true));
    const result = await pivotPart(work, Number(flag('orders', '1000000')), rounds);
    writeResults(
      'analytics',
      'pivot',
      result.summary,
      run.finish({ settings: { metrics: Object.keys(result.summary), ...result.settings }, ratios: result.ratios, rounds: result.rounds }),
    );
  }
  if (parts.has('chart')) {
    const run = await beginRun(command, facts(['echarts']));
    const result = await chartPart(Math.max(rounds, 6));
    writeResults(
      'analytics',
      'chart',
      result.summary,
      run.finish({ settings: { metrics: Object.keys(result.summary), ...result.settings }, ratios: result.ratios, rounds: result.rounds }),
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
