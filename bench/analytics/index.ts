/**
 * Analytics benchmark (issue 17): `npm run bench:analytics` writes bench/results/analytics.json.
 *   --parts forecast,xlsx,pivot,chart   (default all)   --orders 1000000   --rows 1000000   --m3-step 10
 * forecast: M3 competition series (every m3-step-th of 3,003, from the Mcomp R package's data), our forecast vs
 *   R's thetaf() and ets() run here by Rscript on the same series; mean sMAPE and MASE.
 * xlsx: 1M rows × 8 typed columns, ours vs exceljs's streaming WorkbookWriter, each in its own process (peak RSS).
 * pivot: month × region × category, revenue, margin %, order count with all subtotals on the demo data, cold and cached.
 * chart: an 800×400 line chart of 144 points to SVG, through our renderer and calling ECharts directly.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as echarts from 'echarts';
import pg from 'pg';
import { ERP_CUBES, forecast, mase, runPivot, smape, type ReportDefinition } from '../../src/analytics/index.ts';
import { loadDemoData, migrateToLatest, openDatabase, QueryCache, type Db } from '../../src/db/index.ts';
import { renderChartSvg } from '../../src/reports/charts.ts';
import { RESULTS_DIR } from '../lib/results.ts';
import { loadM3, sample } from './m3.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const parts = new Set(flag('parts', 'forecast,xlsx,pivot,chart').split(','));
const results: Record<string, unknown> = {
  machine: `${process.platform} ${process.arch}, Node ${process.versions.node}, load ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join('/')}`,
  at: new Date().toISOString(),
};
const work = mkdtempSync(join(tmpdir(), 'ai-stack-bench-analytics-'));
const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
const benchStart = performance.now();

if (parts.has('forecast')) {
  const step = Number(flag('m3-step', '10'));
  const series = sample(loadM3(), step);
  const input = join(work, 'm3.jsonl');
  writeFileSync(input, `${series.map((s) => JSON.stringify(s)).join('\n')}\n`);
  console.error(`forecast: ${series.length} M3 series; R's ets() and thetaf() first…`);
  const rStart = performance.now();
  execFileSync('Rscript', [new URL('./reference.R', import.meta.url).pathname, input, join(work, 'r.jsonl')], { stdio: 'inherit' });
  const rSeconds = (performance.now() - rStart) / 1000;
  const reference = new Map(
    readFileSync(join(work, 'r.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; ets: number[]; theta: number[] })
      .map((r) => [r.id, r]),
  );
  const score = { ours: [0, 0], ets: [0, 0], theta: [0, 0], rEts: [0, 0], rTheta: [0, 0] } as Record<string, [number, number]>;
  const cpuMs: number[] = [];
  for (const s of series) {
    const r = reference.get(s.id)!;
    const c0 = process.cpuUsage();
    const ours = forecast(s.x, { frequency: s.frequency, horizon: s.h });
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
    const add = (k: string, f: number[]) => {
      score[k]![0] += smape(s.xx, f);
      score[k]![1] += mase(s.x, s.xx, f, s.frequency);
    };
    add('ours', ours.mean);
    add('ets', forecast(s.x, { frequency: s.frequency, horizon: s.h, method: 'ets' }).mean);
    add('theta', forecast(s.x, { frequency: s.frequency, horizon: s.h, method: 'theta' }).mean);
    add('rEts', r.ets);
    add('rTheta', r.theta);
  }
  const n = series.length;
  const mean = (k: string, i: 0 | 1) => round(score[k]![i] / n);
  cpuMs.sort((a, b) => a - b);
  results.forecast_set = `M3 (Mcomp data), every ${step}th series: ${n} of 3,003 (yearly, quarterly, monthly, other)`;
  results.forecast_smape = {
    'ai-stack': mean('ours', 0),
    theta: mean('rTheta', 0),
    'r-ets': mean('rEts', 0),
    'ai-stack-ets-only': mean('ets', 0),
    'ai-stack-theta-only': mean('theta', 0),
  };
  results.forecast_mase = {
    'ai-stack': mean('ours', 1),
    theta: mean('rTheta', 1),
    'r-ets': mean('rEts', 1),
    'ai-stack-ets-only': mean('ets', 1),
    'ai-stack-theta-only': mean('theta', 1),
  };
  results.forecast_fit_cpu_ms = {
    p50: round(cpuMs[Math.floor(n / 2)]!, 1),
    p95: round(cpuMs[Math.floor(n * 0.95)]!, 1),
    max: round(cpuMs[n - 1]!, 1),
    'r-seconds-total': round(rSeconds, 1),
  };
  console.error(results.forecast_smape, results.forecast_mase, results.forecast_fit_cpu_ms);
}

if (parts.has('xlsx')) {
  const rows = flag('rows', '1000000');
  const run = (which: string) => {
    console.error(`xlsx: ${which}, ${rows} rows…`);
    const out = spawnSync(process.execPath, [new URL('./xlsx-child.ts', import.meta.url).pathname, which, rows, join(work, `${which}.xlsx`)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (out.status !== 0) throw new Error(`${which} failed: ${out.stderr}`);
    return JSON.parse(out.stdout.trim().split('\n').pop()!) as { seconds: number; peakRssMb: number; bytes: number };
  };
  const ours = run('ai-stack');
  const peer = run('exceljs');
  results.xlsx_rows = Number(rows);
  results.xlsx_1m_rows_peak_rss_mb = { 'ai-stack': round(ours.peakRssMb, 0), exceljs: round(peer.peakRssMb, 0) };
  results.xlsx_1m_rows_s = { 'ai-stack': round(ours.seconds, 1), exceljs: round(peer.seconds, 1) };
  results.xlsx_1m_rows_file_mb = { 'ai-stack': round(ours.bytes / 1e6, 1), exceljs: round(peer.bytes / 1e6, 1) };
  console.error(results.xlsx_1m_rows_peak_rss_mb, results.xlsx_1m_rows_s);
}

if (parts.has('pivot')) {
  const orders = Number(flag('orders', '1000000'));
  const definition: ReportDefinition = {
    cube: 'sales',
    rows: [{ field: 'order_date', grain: 'month' }, 'region'],
    columns: ['category'],
    measures: ['revenue', 'margin_pct', 'orders'],
    subtotals: true,
  };
  const timings: Record<string, number> = {};
  for (const dialect of ['sqlite', 'postgres'] as const) {
    let db: Db;
    let drop = async () => {};
    if (dialect === 'sqlite') db = await openDatabase({ kind: 'sqlite', file: join(work, 'demo.db') }, { slowQueries: false });
    else {
      const schema = `bench_analytics_${process.pid}`;
      const admin = new pg.Client({ connectionString: 'postgres://root@127.0.0.1:5432/test' });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
      db = await openDatabase(
        { kind: 'postgres', url: `postgres://root@127.0.0.1:5432/test?options=${encodeURIComponent(`-c search_path=${schema}`)}`, poolSize: 4 },
        { slowQueries: false },
      );
      drop = async () => {
        const c = new pg.Client({ connectionString: 'postgres://root@127.0.0.1:5432/test' });
        await c.connect();
        await c.query(`drop schema ${schema} cascade`);
        await c.end();
      };
    }
    try {
      await migrateToLatest(db);
      console.error(`pivot: loading ${orders} demo orders into ${dialect}…`);
      const t0 = performance.now();
      await loadDemoData(db, { orders });
      console.error(`  loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const cache = new QueryCache(db);
      const c0 = performance.now();
      const cpu0 = process.cpuUsage();
      const cold = await runPivot(db, definition, { cubes: ERP_CUBES, queryCache: cache });
      const coldMs = performance.now() - c0;
      const cpu = process.cpuUsage(cpu0);
      // Four more runs without the cache (warm database pages), then five from the cache.
      const warm: number[] = [];
      for (let i = 0; i < 4; i++) {
        const w0 = performance.now();
        await runPivot(db, definition, { cubes: ERP_CUBES });
        warm.push(performance.now() - w0);
      }
      const cached: number[] = [];
      for (let i = 0; i < 5; i++) {
        const h0 = performance.now();
        await runPivot(db, definition, { cubes: ERP_CUBES, queryCache: cache });
        cached.push(performance.now() - h0);
      }
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
      timings[`ai-stack-${dialect}`] = round(coldMs, 0);
      timings[`ai-stack-${dialect}-uncached-median`] = round(median(warm), 0);
      timings[`ai-stack-${dialect}-cached`] = round(median(cached), 1);
      if (dialect === 'sqlite') timings['ai-stack-sqlite-cold-cpu'] = round((cpu.user + cpu.system) / 1000, 0);
      timings[`${dialect}-cells`] = cold.cells.length;
      console.error(
        `  cold ${coldMs.toFixed(0)} ms, uncached median ${median(warm).toFixed(0)} ms, cached ${median(cached).toFixed(1)} ms, ${cold.cells.length} cells`,
      );
    } finally {
      await db.close();
      await drop();
    }
  }
  results.pivot_orders = orders;
  results.pivot_1m_orders_ms = timings;
}

if (parts.has('chart')) {
  const categories = Array.from({ length: 144 }, (_, i) => `2014-${i}`);
  const values = categories.map((_, i) => 100 + i + 20 * Math.sin(i / 3));
  const spec = { kind: 'line' as const, title: '收入 Revenue', categories, series: [{ name: 'Revenue', values }] };
  const direct = () => {
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 800, height: 400 });
    chart.setOption({
      animation: false,
      title: { text: '收入 Revenue' },
      xAxis: { type: 'category', data: categories },
      yAxis: { type: 'value' },
      series: [{ type: 'line', data: values, showSymbol: false }],
    });
    const svg = chart.renderToSVGString();
    chart.dispose();
    return svg;
  };
  // Rotated rounds (ours, ECharts, ECharts, ours, …), 50 charts each after a warm-up; medians of the per-chart wall
  // and CPU time (CPU shows the work itself when the machine is shared).
  const sides: Record<string, () => string> = { 'ai-stack': () => renderChartSvg(spec), echarts: direct };
  const samples: Record<string, { wall: number[]; cpu: number[] }> = { 'ai-stack': { wall: [], cpu: [] }, echarts: { wall: [], cpu: [] } };
  for (const f of Object.values(sides)) for (let i = 0; i < 10; i++) f();
  for (let round = 0; round < 6; round++) {
    for (const name of round % 2 === 0 ? ['ai-stack', 'echarts'] : ['echarts', 'ai-stack']) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) sides[name]!();
      const c = process.cpuUsage(c0);
      samples[name]!.wall.push((performance.now() - t0) / 50);
      samples[name]!.cpu.push((c.user + c.system) / 1000 / 50);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  results.chart_svg_ms = { 'ai-stack': round(median(samples['ai-stack']!.wall), 2), echarts: round(median(samples.echarts!.wall), 2) };
  results.chart_svg_cpu_ms = { 'ai-stack': round(median(samples['ai-stack']!.cpu), 2), echarts: round(median(samples.echarts!.cpu), 2) };
  results.chart_svg_kb = round(renderChartSvg(spec).length / 1024, 1);
  console.error(results.chart_svg_ms, results.chart_svg_cpu_ms);
}

results.bench_wall_s = round((performance.now() - benchStart) / 1000, 0);
rmSync(work, { recursive: true, force: true });
const file = join(RESULTS_DIR, 'analytics.json');
mkdirSync(RESULTS_DIR, { recursive: true });
let previous: Record<string, unknown> = {};
try {
  previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
} catch {
  // first run
}
writeFileSync(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
