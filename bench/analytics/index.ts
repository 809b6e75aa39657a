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
import { beginRun, writeResults, type Summary } from '../lib/results.ts';
import type { Spread } from '../lib/stats.ts';
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

/** What each part measures: its summary keys, settings, per-round ratios and raw rounds. */
interface PartResult {
  summary: Summary;
  settings: Record<string, unknown>;
  ratios?: Record<string, Spread>;
  rounds?: unknown;
}

/** Runs one part if asked for, between the machine facts of its start and end, into its own run record. */
async function part(name: string, packages: string[], measure: () => PartResult | Promise<PartResult>, withPostgres = false): Promise<void> {
  if (!parts.has(name)) return;
  const run = await beginRun(command, facts(packages, withPostgres));
  const { summary, settings, ratios, rounds } = await measure();
  writeResults('analytics', name, summary, run.finish({ settings: { metrics: Object.keys(summary), ...settings }, ...(ratios ? { ratios } : {}), rounds }));
}

try {
  await part('forecast', [], () => forecastPart(work, Number(flag('m3-step', '10'))));
  await part('xlsx', ['exceljs'], () => xlsxPart(work, Number(flag('rows', '1000000')), rounds));
  await part('pivot', ['kysely', 'pg'], () => pivotPart(work, Number(flag('orders', '1000000')), rounds), true);
  await part('chart', ['echarts'], () => chartPart(Math.max(rounds, 6)));
} finally {
  rmSync(work, { recursive: true, force: true });
}
