import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { OutputTable } from './tables-out.ts';
import { XlsxWriter } from './xlsx/writer.ts';

export const OUTPUT_FORMATS = ['json', 'csv', 'xlsx', 'html'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const MEDIA_TYPES: Record<OutputFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  html: 'text/html; charset=utf-8',
};

/** Writes tables as a workbook, one sheet each (streamed). */
export async function writeXlsx(tables: OutputTable[], out: Writable): Promise<void> {
  const book = new XlsxWriter(out);
  for (const table of tables) {
    const sheet = book.addSheet(table.name, table.columns);
    for (const row of table.rows) await sheet.addRow(row);
    if (table.totals) await sheet.addTotals(table.totals);
    await sheet.end();
  }
  await book.end();
}

/**
 * CSV (RFC 4180) of one table, with a UTF-8 BOM so spreadsheet programs read CJK text right. Text that a
 * spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe (CSV injection).
 */
export async function writeCsv(table: OutputTable, out: Writable): Promise<void> {
  const cell = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
    let text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : JSON.stringify(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  let buffer = `\uFEFF${table.columns.map((c) => cell(c.header)).join(',')}\r\n`;
  for (const row of table.rows) {
    buffer += `${row.map(cell).join(',')}\r\n`;
    if (buffer.length > 64 * 1024) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}
