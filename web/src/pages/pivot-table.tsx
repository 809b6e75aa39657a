import { DataTable, type Column } from '../components/data-table.tsx';
import { useConsole } from '../context.ts';
import { formatKey, formatMeasure, type CellValue, type Header, type PivotLayout, type PivotResult } from './pivot-model.ts';

/**
 * The pivot as a table: every value, subtotal and total is a cell the server sent, shown as text. Row
 * dimensions are row headers; with column dimensions, each column value heads its measures. Not sortable:
 * the rows' order is what places each subtotal under its group.
 */
export function PivotTable({ result, grid }: { result: PivotResult; grid: PivotLayout }) {
  const { t, locale } = useConsole();
  const fields = new Map(result.fields.map((f) => [f.key, f]));
  const title = (key: string) => fields.get(key)?.title ?? key;
  const r = result.rows.length;
  const c = result.columns.length;
  const shown = (v: CellValue) => (v === null ? '–' : typeof v === 'number' ? formatMeasure(locale, v, 'number') : v);
  // A header's label for each dimension: its value, "Total" where it rolls up, nothing after that (an empty
  // row header becomes a data cell).
  const labels = (h: Header, dims: string[]) =>
    dims.map((d, i) => (i < h.level ? shown(formatKey(d, h.keys[i] ?? null)) : i === h.level ? t('pivot.total') : ''));
  const columnLabel = (h: Header) =>
    labels(h, result.columns)
      .filter((l) => l !== '')
      .join(' / ');

  const rowColumns: Column<Header>[] =
    r === 0
      ? [{ key: 'all-rows', header: t('pivot.allRows'), rowHeader: true, cell: () => t('pivot.total') }]
      : result.rows.map((d, i) => ({ key: `row:${d}`, header: title(d), rowHeader: true, cell: (row) => labels(row, result.rows)[i] }));
  const valueColumns = grid.columnHeaders.flatMap((column) =>
    result.measures.map((m): Column<Header> => ({
      key: `${column.id}-${m}`,
      header: title(m),
      class: 'num',
      group: c > 0 ? { id: column.id, header: columnLabel(column), class: column.level < c ? 'pivot-total' : undefined } : undefined,
      cell: (row) => formatMeasure(locale, grid.value(row, column, m), fields.get(m)?.format),
      cellAttributes: (row) => {
        const value = grid.value(row, column, m);
        return {
          ...(row.level === 0 && column.level === 0 ? { 'data-testid': `pivot-grand-${m}` } : {}),
          ...(typeof value === 'number' ? { 'data-value': String(value) } : {}),
        };
      },
    })),
  );

  return (
    <DataTable
      caption={t('pivot.caption', { measures: result.measures.map(title).join(', ') })}
      testId="pivot-table"
      class="pivot"
      columns={[...rowColumns, ...valueColumns]}
      rows={grid.rowHeaders}
      rowKey={(row) => row.id}
      rowClass={(row) => (row.level < r ? 'pivot-total' : undefined)}
    />
  );
}
