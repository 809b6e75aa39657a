import { Type } from 'typebox';
import { ERP_CUBES, ReportDefinitionSchema, runPivot, runReport } from '../analytics/index.ts';
import type { Db, QueryCache } from '../db/index.ts';
import { stringEnum } from '../resources/index.ts';
import { defineTask, type ScheduleSpec, type TaskDefinition } from '../tasks/index.ts';
import { renderChartSvg, type ChartSpec } from './charts.ts';
import type { ReportDownloads, StoredReportFile } from './downloads.ts';
import { ERP_REPORT_TYPES, generateErpReport, type ErpReport } from './erp/index.ts';
import { renderHtml } from './html.ts';
import { MEDIA_TYPES, writeCsv, writeXlsx, type OutputFormat } from './outputs.ts';
import { erpTables, pivotTable, reportTable, type OutputTable } from './tables-out.ts';

export const REPORT_TASKS = {
  erp: 'reports.generate_erp_report',
  stats: 'reports.generate_stats_report',
  export: 'reports.export_data_to_excel',
  dashboard: 'reports.generate_analytics_dashboard',
} as const;

export interface ReportTaskDeps {
  db: Db;
  downloads: ReportDownloads;
  queryCache?: QueryCache | undefined;
  /** Days the daily statistics files are kept. */
  statsKeepDays?: number;
  /** How long export download links work. */
  exportTtlMs?: number;
}

const DATE = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const ErpArgs = Type.Object(
  {
    reportType: stringEnum(ERP_REPORT_TYPES),
    startDate: DATE,
    endDate: DATE,
    top: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    format: Type.Optional(stringEnum(['json', 'xlsx', 'csv', 'html'] as const)),
  },
  { additionalProperties: false },
);
const ExportArgs = Type.Object(
  {
    definition: Type.Optional(ReportDefinitionSchema),
    erp: Type.Optional(
      Type.Object(
        { reportType: stringEnum(ERP_REPORT_TYPES), startDate: DATE, endDate: DATE, top: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
        { additionalProperties: false },
      ),
    ),
    format: Type.Optional(stringEnum(['xlsx', 'csv', 'html'] as const)),
    filename: Type.Optional(Type.String({ maxLength: 100, pattern: '^[^/\\\\]+$' })),
  },
  { additionalProperties: false },
);

const HOUR = 3_600_000;

/** Writes tables in a format into the file store; returns its download link. */
export async function storeTables(
  downloads: ReportDownloads,
  kind: string,
  name: string,
  format: Exclude<OutputFormat, 'json'>,
  tables: OutputTable[],
  ttlMs: number,
  charts: ChartSpec[] = [],
): Promise<StoredReportFile> {
  return downloads.save(kind, `${name}.${format}`, MEDIA_TYPES[format], ttlMs, async (out) => {
    if (format === 'xlsx') await writeXlsx(tables, out);
    else if (format === 'csv') await writeCsv(tables[0] ?? { name, columns: [], rows: [] }, out);
    else out.end(renderHtml(name, tables, charts));
  });
}

/** Charts that go with an ERP report in its HTML version. */
export function erpCharts(report: ErpReport): ChartSpec[] {
  if (report.reportType === 'financial') {
    const p = report.incomeStatement.periods;
    return [
      {
        kind: 'bar',
        title: 'Revenue and net income',
        categories: p.map((x) => x.period.slice(0, 7)),
        series: [
          { name: 'Revenue', values: p.map((x) => x.revenue) },
          { name: 'Net income', values: p.map((x) => x.netIncome) },
        ],
      },
    ];
  }
  if (report.reportType === 'sales') {
    return [
      {
        kind: 'line',
        title: 'Revenue by month',
        categories: report.byMonth.rows.map((r) => String(r['order_date.month']).slice(0, 7)),
        series: [
          { name: 'Revenue', values: report.byMonth.rows.map((r) => Number(r.revenue ?? 0)) },
          { name: 'Previous year', values: report.byMonth.rows.map((r) => (r['revenue.previous'] === null ? null : Number(r['revenue.previous']))) },
        ],
      },
      { kind: 'pie', title: 'Revenue by region', slices: report.byRegion.rows.map((r) => ({ name: String(r.region), value: Number(r.revenue ?? 0) })) },
    ];
  }
  return [
    {
      kind: 'stacked',
      title: 'Receivables by age',
      categories: ['Total'],
      series: (['0-30', '31-60', '61-90', '90+'] as const).map((b) => ({ name: b, values: [report.totals[b]] })),
    },
  ];
}

export function createReportTasks(deps: ReportTaskDeps): { tasks: TaskDefinition[]; schedules: ScheduleSpec[] } {
  const { db, downloads } = deps;
  const exportTtl = deps.exportTtlMs ?? 24 * HOUR;
  const keepDays = deps.statsKeepDays ?? 30;

  const erp = defineTask(
    REPORT_TASKS.erp,
    { queue: 'reports', args: ErpArgs, retries: { max: 2, backoff: { delayMs: 5_000 } }, timeLimit: { soft: 10 * 60_000 } },
    async (args, ctx) => {
      const { format, ...erpArgs } = args;
      await ctx.progress(0, 'query');
      const report = await generateErpReport(db, erpArgs, deps.queryCache);
      if (!format || format === 'json') return report;
      await ctx.progress(0.6, 'write');
      const file = await storeTables(
        downloads,
        'erp',
        `${report.reportType}-${args.startDate}-${args.endDate}`,
        format,
        erpTables(report),
        exportTtl,
        erpCharts(report),
      );
      await ctx.progress(1, 'done');
      return { ...report, file };
    },
  );

  const exportData = defineTask(
    REPORT_TASKS.export,
    { queue: 'reports', args: ExportArgs, retries: { max: 1 }, timeLimit: { soft: 30 * 60_000 } },
    async (args, ctx) => {
      const format = args.format ?? 'xlsx';
      await ctx.progress(0, 'query');
      let tables: OutputTable[];
      let name: string;
      if (args.erp) {
        const report = await generateErpReport(db, args.erp, deps.queryCache);
        tables = erpTables(report);
        name = `${args.erp.reportType}-${args.erp.startDate}-${args.erp.endDate}`;
      } else if (args.definition) {
        const definition = args.definition;
        const pivot = definition.rows !== undefined || definition.columns !== undefined;
        tables = pivot
          ? [pivotTable(await runPivot(db, definition, { cubes: ERP_CUBES, queryCache: deps.queryCache }))]
          : [reportTable(await runReport(db, definition, { cubes: ERP_CUBES, queryCache: deps.queryCache }))];
        name = definition.title ?? `${definition.cube}-report`;
      } else throw new Error('export_data_to_excel needs "definition" or "erp"');
      await ctx.progress(0.6, 'write');
      const file = await storeTables(downloads, 'export', args.filename ?? name, format, tables, exportTtl);
      await ctx.progress(1, 'done');
      return file;
    },
  );

  const stats = defineTask(
    REPORT_TASKS.stats,
    { queue: 'reports', args: Type.Object({ date: Type.Optional(DATE) }, { additionalProperties: false }), retries: { max: 2, backoff: { delayMs: 60_000 } } },
    async (args) => {
      const day = args.date ?? new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const options = { cubes: ERP_CUBES, queryCache: deps.queryCache };
      const byStatus = await runReport(
        db,
        {
          cube: 'orders',
          title: `Orders ${day}`,
          dimensions: ['status'],
          measures: ['count', 'revenue', 'margin_pct'],
          dateRange: { from: day, to: day },
          totals: true,
        },
        options,
      );
      const byRegion = await runReport(
        db,
        {
          cube: 'sales',
          title: `Sales by region ${day}`,
          dimensions: ['region'],
          measures: ['revenue', 'margin_pct', 'orders'],
          dateRange: { from: day, to: day },
          totals: true,
          sort: [{ field: 'revenue', direction: 'desc' }],
        },
        options,
      );
      const file = await storeTables(
        downloads,
        'stats',
        `daily-stats-${day}`,
        'xlsx',
        [reportTable(byStatus, 'Orders by status'), reportTable(byRegion, 'Sales by region')],
        keepDays * 24 * HOUR,
      );
      const pruned = await downloads.prune({ kind: 'stats', keepDays });
      return { day, total: byStatus.total ?? null, file, pruned };
    },
  );

  const dashboard = defineTask(
    REPORT_TASKS.dashboard,
    {
      queue: 'reports',
      args: Type.Object({ asOf: Type.Optional(DATE), months: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })) }, { additionalProperties: false }),
    },
    async (args) => {
      const snapshot = await buildDashboard(db, args.asOf ?? new Date().toISOString().slice(0, 10), args.months ?? 12, deps.queryCache);
      const file = await downloads.save('dashboard', 'dashboard.html', MEDIA_TYPES.html, 7 * 24 * HOUR, async (out) => {
        out.end(renderHtml(`Dashboard ${snapshot.asOf}`, snapshot.tables, snapshot.chartSpecs));
      });
      return { ...snapshot, tables: undefined, chartSpecs: undefined, file };
    },
  );

  return {
    tasks: [erp, exportData, stats, dashboard] as TaskDefinition[],
    schedules: [
      { id: `${REPORT_TASKS.stats}.daily`, task: REPORT_TASKS.stats, args: {}, cron: '15 1 * * *' },
      // At five past every hour rather than `every: HOUR`, which also fires when the service starts: that first
      // render loaded ECharts (+27 MB resident for good) into every freshly started service, used or not. A
      // snapshot is there within the hour, or at once by calling the task.
      { id: `${REPORT_TASKS.dashboard}.hourly`, task: REPORT_TASKS.dashboard, args: {}, cron: '5 * * * *' },
    ],
  };
}

export interface DashboardSnapshot {
  asOf: string;
  kpis: Record<string, number | null>;
  charts: Record<string, string>;
  tables: OutputTable[];
  chartSpecs: ChartSpec[];
}

/** KPIs, charts (SVG) and tables for the last `months` months: the dashboard as one JSON + HTML snapshot. */
export async function buildDashboard(db: Db, asOf: string, months: number, queryCache?: QueryCache): Promise<DashboardSnapshot> {
  const to = asOf;
  const fromDate = new Date(`${asOf}T00:00:00Z`);
  fromDate.setUTCMonth(fromDate.getUTCMonth() - months);
  const from = fromDate.toISOString().slice(0, 10);
  const options = { cubes: ERP_CUBES, queryCache };
  const range = { from, to };
  const [monthly, regions, categories] = await Promise.all([
    runReport(
      db,
      {
        cube: 'sales',
        dimensions: [{ field: 'order_date', grain: 'month' }],
        measures: ['revenue', 'margin_pct', 'orders'],
        segments: ['completed'],
        dateRange: range,
        totals: true,
      },
      options,
    ),
    runReport(
      db,
      {
        cube: 'sales',
        dimensions: ['region'],
        measures: ['revenue', 'orders'],
        segments: ['completed'],
        dateRange: range,
        totals: true,
        sort: [{ field: 'revenue', direction: 'desc' }],
      },
      options,
    ),
    runPivot(
      db,
      { cube: 'sales', rows: ['category'], columns: ['region'], measures: ['revenue'], segments: ['completed'], dateRange: range, totals: false },
      options,
    ),
  ]);
  const total = monthly.total ?? {};
  const kpis = {
    revenue: num(total.revenue),
    margin_pct: num(total.margin_pct),
    orders: num(total.orders),
    avg_order_value: num(total.revenue) !== null && num(total.orders) ? num(total.revenue)! / num(total.orders)! : null,
  };
  const cats = [...new Set(categories.cells.map((c) => String(c.row[0])))].sort();
  const regs = [...new Set(categories.cells.map((c) => String(c.column[0])))].sort();
  const chartSpecs: ChartSpec[] = [
    {
      kind: 'line',
      title: 'Revenue by month',
      categories: monthly.rows.map((r) => String(r['order_date.month']).slice(0, 7)),
      series: [{ name: 'Revenue', values: monthly.rows.map((r) => num(r.revenue)) }],
    },
    { kind: 'pie', title: 'Revenue by region', slices: regions.rows.map((r) => ({ name: String(r.region), value: num(r.revenue) ?? 0 })) },
    {
      kind: 'heatmap',
      title: 'Revenue: category × region',
      x: regs,
      y: cats,
      values: categories.cells.map((c) => [regs.indexOf(String(c.column[0])), cats.indexOf(String(c.row[0])), c.values.revenue ?? null]),
    },
  ];
  const charts = Object.fromEntries(chartSpecs.map((c, i) => [['revenueByMonth', 'revenueByRegion', 'categoryRegionHeatmap'][i]!, renderChartSvg(c)]));
  return { asOf, kpis, charts, tables: [reportTable(monthly, 'By month'), reportTable(regions, 'By region')], chartSpecs };
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
