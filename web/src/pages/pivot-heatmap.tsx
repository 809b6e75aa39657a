import { useConsole } from '../context.ts';
import { formatKey, formatMeasure, type Header, type PivotLayout, type PivotResult } from './pivot-model.ts';

const CELL_W = 56;
const CELL_H = 22;
const LABEL_W = 120;
const LABEL_H = 28;

/** Light to dark blue by the value's place between the smallest and the largest detail cell. */
function shade(fraction: number): string {
  const lightness = Math.round(95 - fraction * 60);
  return `hsl(217 80% ${lightness}%)`;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * One measure of the pivot's detail cells (no totals) as a small SVG heatmap: its own chunk, loaded only when
 * asked for. Every rectangle has a title with its row, column and value.
 */
export default function PivotHeatmap({ result, grid, measure }: { result: PivotResult; grid: PivotLayout; measure: string }) {
  const { t, locale } = useConsole();
  const rows = grid.rowHeaders.filter((h) => h.level === result.rows.length);
  const columns = grid.columnHeaders.filter((h) => h.level === result.columns.length);
  const label = (h: Header, dims: string[]) =>
    h.keys.length === 0 ? t('pivot.total') : h.keys.map((k, i) => String(formatKey(dims[i] ?? '', k) ?? '–')).join(' / ');
  const field = result.fields.find((f) => f.key === measure);
  const values = rows.flatMap((r) => columns.map((c) => grid.value(r, c, measure))).filter((v): v is number => typeof v === 'number');
  if (rows.length === 0 || columns.length === 0 || values.length === 0) return <p>{t('pivot.empty')}</p>;
  const min = Math.min(...values);
  const span = Math.max(...values) - min || 1;
  const width = LABEL_W + columns.length * CELL_W;
  const height = LABEL_H + rows.length * CELL_H;
  return (
    <figure data-testid="pivot-heatmap" class="pivot-heatmap">
      <svg viewBox={`0 0 ${width} ${height}`} width={Math.min(width, 960)} role="img" aria-label={t('pivot.heatmapOf', { measure: field?.title ?? measure })}>
        {columns.map((c, j) => (
          <text key={c.id} x={LABEL_W + j * CELL_W + CELL_W / 2} y={LABEL_H - 8} font-size="10" text-anchor="middle">
            {clip(label(c, result.columns), 9)}
          </text>
        ))}
        {rows.map((r, i) => (
          <g key={r.id}>
            <text x={LABEL_W - 6} y={LABEL_H + i * CELL_H + CELL_H / 2 + 4} font-size="10" text-anchor="end">
              {clip(label(r, result.rows), 18)}
            </text>
            {columns.map((c, j) => {
              const v = grid.value(r, c, measure);
              return (
                <rect
                  key={c.id}
                  x={LABEL_W + j * CELL_W}
                  y={LABEL_H + i * CELL_H}
                  width={CELL_W - 2}
                  height={CELL_H - 2}
                  fill={typeof v === 'number' ? shade((v - min) / span) : '#f3f4f6'}
                >
                  <title>{`${label(r, result.rows)} × ${label(c, result.columns)}: ${formatMeasure(locale, v, field?.format)}`}</title>
                </rect>
              );
            })}
          </g>
        ))}
      </svg>
      <figcaption>{t('pivot.heatmapCaption')}</figcaption>
    </figure>
  );
}
