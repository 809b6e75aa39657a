import { useConsole } from '../context.ts';
import { formatKey, formatMeasure, type CellValue, type Header, type PivotLayout, type PivotResult } from './pivot-model.ts';

/** The pivot as a table: every value, subtotal and total is a cell the server sent, shown as text. */
export function PivotTable({ result, grid }: { result: PivotResult; grid: PivotLayout }) {
  const { t, locale } = useConsole();
  const fields = new Map(result.fields.map((f) => [f.key, f]));
  const title = (key: string) => fields.get(key)?.title ?? key;
  const r = result.rows.length;
  const c = result.columns.length;
  const shown = (v: CellValue) => (v === null ? '–' : typeof v === 'number' ? formatMeasure(locale, v, 'number') : v);
  // A header's label for each dimension: its value, "Total" where it rolls up, nothing after that.
  const labels = (h: Header, dims: string[]) =>
    dims.map((d, i) => (i < h.level ? shown(formatKey(d, h.keys[i] ?? null)) : i === h.level ? t('pivot.total') : ''));
  const columnLabel = (h: Header) =>
    c === 0
      ? ''
      : labels(h, result.columns)
          .filter((l) => l !== '')
          .join(' / ');
  const measureHeaders = (h: Header) =>
    result.measures.map((m) => (
      <th key={`${h.id}-${m}`} scope="col">
        {title(m)}
      </th>
    ));
  const rowDimensionHeaders = (span: number) =>
    r === 0 ? (
      <th scope="col" rowSpan={span}>
        {t('pivot.allRows')}
      </th>
    ) : (
      result.rows.map((d) => (
        <th key={d} scope="col" rowSpan={span}>
          {title(d)}
        </th>
      ))
    );

  const caption = t('pivot.caption', { measures: result.measures.map(title).join(', ') });
  // A wide pivot scrolls sideways: the region takes focus so the keyboard can scroll it too.
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label={caption}>
      <table data-testid="pivot-table" class="pivot">
        <caption>{caption}</caption>
        <thead>
          {c > 0 && (
            <tr>
              {rowDimensionHeaders(2)}
              {grid.columnHeaders.map((h) => (
                <th key={h.id} scope="colgroup" colSpan={result.measures.length} class={h.level < c ? 'pivot-total' : undefined}>
                  {columnLabel(h)}
                </th>
              ))}
            </tr>
          )}
          <tr>
            {c === 0 && rowDimensionHeaders(1)}
            {grid.columnHeaders.flatMap(measureHeaders)}
          </tr>
        </thead>
        <tbody>
          {grid.rowHeaders.map((row) => {
            const grandRow = row.level === 0;
            return (
              <tr key={row.id} class={row.level < r ? 'pivot-total' : undefined}>
                {r === 0 ? (
                  <th scope="row">{t('pivot.total')}</th>
                ) : (
                  // Below a "Total" the rolled-up dimensions are empty data cells: an empty header would say nothing.
                  labels(row, result.rows).map((label, i) =>
                    label === '' ? (
                      <td key={i} />
                    ) : (
                      <th key={i} scope="row">
                        {label}
                      </th>
                    ),
                  )
                )}
                {grid.columnHeaders.flatMap((column) =>
                  result.measures.map((m) => {
                    const value = grid.value(row, column, m);
                    const grand = grandRow && column.level === 0;
                    return (
                      <td
                        key={`${column.id}-${m}`}
                        class="num"
                        {...(grand ? { 'data-testid': `pivot-grand-${m}` } : {})}
                        {...(typeof value === 'number' ? { 'data-value': String(value) } : {})}
                      >
                        {formatMeasure(locale, value, fields.get(m)?.format)}
                      </td>
                    );
                  }),
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
