import type { ComponentType } from 'preact';
import { useState } from 'preact/hooks';
import { api, withQuery } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { useConsole } from '../context.ts';
import { formatNumber } from '../i18n/index.ts';
import type { Forecast } from './forecast-chart.tsx';
import type { PivotProps } from './pivot-builder.tsx';

const TYPES = ['financial', 'sales', 'receivables'] as const;
type ReportType = (typeof TYPES)[number];

interface TableRow {
  index: number;
  values: (string | number | null)[];
}

interface Table {
  type: ReportType;
  columns: string[];
  rows: TableRow[];
}

/** A report's main table: the income statement by period, sales by month, or receivables by customer. */
function mainTable(type: ReportType, report: Record<string, unknown>): Table | null {
  const periods = (report.incomeStatement as { periods?: Record<string, unknown>[] } | undefined)?.periods;
  const rows = periods ?? (report.byMonth as { rows?: Record<string, unknown>[] } | undefined)?.rows ?? (report.rows as Record<string, unknown>[] | undefined);
  if (!Array.isArray(rows) || rows.length === 0) return null;
  const columns = Object.keys(rows[0]!).filter((c) => rows.every((r) => r[c] === null || typeof r[c] !== 'object'));
  return { type, columns, rows: rows.map((r, index) => ({ index, values: columns.map((c) => r[c] as string | number | null) })) };
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

export default function Reports() {
  const { t, locale } = useConsole();
  const [type, setType] = useState<ReportType>('financial');
  const [start, setStart] = useState(() => `${new Date().getUTCFullYear() - 1}-01-01`);
  const [end, setEnd] = useState(() => iso(new Date()));
  const [table, setTable] = useState<Table | null | undefined>(undefined);
  const [forecast, setForecast] = useState<Forecast | null>(null);
  const [Chart, setChart] = useState<ComponentType<{ forecast: Forecast }> | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [Pivot, setPivot] = useState<ComponentType<PivotProps> | null>(null);
  const query = { startDate: start, endDate: end };

  // The pivot builder is its own chunk, fetched when asked for: opening the page costs no more than before.
  const openPivot = () =>
    import('./pivot-builder.tsx').then(
      (module) => setPivot(() => module.default),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );

  const run = async (event: SubmitEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setTable(mainTable(type, await api<Record<string, unknown>>(withQuery(`/api/v1/reports/erp/${type}`, query))));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const loadForecast = async () => {
    setError(null);
    try {
      // The chart code is its own chunk, fetched only when a forecast is shown.
      const [data, chart] = await Promise.all([
        api<Forecast>(withQuery('/api/v1/analytics/forecast', { cube: 'sales', measure: 'revenue', grain: 'month', horizon: 6, to: end })),
        import('./forecast-chart.tsx'),
      ]);
      setChart(() => chart.default);
      setForecast(data);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <section data-testid="reports">
      <h1>{t('reports.title')}</h1>
      <form class="row" onSubmit={(e) => void run(e)}>
        <label>
          {t('reports.type')}{' '}
          <select value={type} data-testid="report-type" onChange={(e) => setType(e.currentTarget.value as ReportType)}>
            {TYPES.map((k) => (
              <option key={k} value={k}>
                {t(`reports.type.${k}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('reports.from')} <input type="date" required value={start} onInput={(e) => setStart(e.currentTarget.value)} />
        </label>
        <label>
          {t('reports.to')} <input type="date" required value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>
          {t('reports.run')}
        </button>
      </form>
      <p class="row">
        <a class="button" data-testid="export-xlsx" href={withQuery(`/api/v1/reports/erp/${type}`, { ...query, format: 'xlsx' })} download>
          {t('reports.exportXlsx')}
        </a>
        <a class="button" data-testid="export-csv" href={withQuery(`/api/v1/reports/erp/${type}`, { ...query, format: 'csv' })} download>
          {t('reports.exportCsv')}
        </a>
        <button type="button" onClick={() => void loadForecast()}>
          {t('reports.forecast')}
        </button>
      </p>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {table === null && <p>{t('reports.empty')}</p>}
      {table && (
        <DataTable
          caption={t(`reports.type.${table.type}`)}
          testId="report-table"
          // The first column names the row: the period, the month or the customer.
          columns={table.columns.map((c, j) => ({
            key: c,
            header: c,
            rowHeader: j === 0,
            cell: (row: TableRow) => {
              const v = row.values[j];
              return typeof v === 'number' ? formatNumber(locale, v) : (v ?? '–');
            },
          }))}
          rows={table.rows}
          rowKey={(row) => row.index}
        />
      )}
      {forecast && Chart && <Chart forecast={forecast} />}
      {Pivot ? (
        <Pivot
          range={{ from: start, to: end }}
          onRange={(range) => {
            setStart(range.from);
            setEnd(range.to);
          }}
        />
      ) : (
        <p>
          <button type="button" data-testid="open-pivot" onClick={() => void openPivot()}>
            {t('pivot.open')}
          </button>
        </p>
      )}
    </section>
  );
}
