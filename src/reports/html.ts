import { renderChartSvg, type ChartSpec } from './charts.ts';
import type { OutputTable } from './tables-out.ts';

const esc = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

function cellText(value: unknown, format: string | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (format === 'percent') return `${value.toFixed(1)} %`;
    if (format === 'integer') return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
    return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A print-ready HTML page: title, charts as inline SVG, tables with numbers right-aligned; A4 page breaks between tables. */
export function renderHtml(title: string, tables: OutputTable[], charts: ChartSpec[] = []): string {
  const chartHtml = charts.map((c) => `<figure>${renderChartSvg(c, { width: 760, height: 320 })}</figure>`).join('\n');
  const tableHtml = tables
    .map((t) => {
      const head = t.columns.map((c) => `<th>${esc(c.header)}</th>`).join('');
      const body = t.rows
        .map((r) => `<tr>${t.columns.map((c, i) => `<td class="${c.type === 'number' ? 'num' : ''}">${esc(cellText(r[i], c.format))}</td>`).join('')}</tr>`)
        .join('\n');
      return `<section><h2>${esc(t.name)}</h2><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
@page { size: A4; margin: 15mm; }
body { font-family: "Noto Sans", "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; font-size: 10pt; color: #222; }
h1 { font-size: 16pt; } h2 { font-size: 12pt; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #ddd; padding: 2px 6px; text-align: left; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
thead { display: table-header-group; } tr { page-break-inside: avoid; } section { page-break-before: auto; }
figure { margin: 0 0 1em; page-break-inside: avoid; }
</style></head>
<body><h1>${esc(title)}</h1>
<p>Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC</p>
${chartHtml}
${tableHtml}
</body></html>`;
}
