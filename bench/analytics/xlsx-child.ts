/**
 * One XLSX writer run in its own process (so peak RSS is its own): 1M rows × 8 typed columns.
 *   node bench/analytics/xlsx-child.ts ai-stack|exceljs <rows> <file>
 * Prints JSON { seconds, peakRssMb, bytes }.
 */
import { createWriteStream, statSync } from 'node:fs';
import { XlsxWriter } from '../../src/reports/xlsx/writer.ts';

const [which = 'ai-stack', rowsText = '1000000', file = '/tmp/bench.xlsx'] = process.argv.slice(2);
const rows = Number(rowsText);
const customers = ['北京电子有限公司', 'Acme GmbH', 'Globex SARL', '上海贸易', 'Initech Ltd'];
const row = (i: number) => [
  i,
  new Date(Date.UTC(2024, 0, 1) + (i % 1000) * 86_400_000),
  `SO-${String(i).padStart(8, '0')}`,
  customers[i % 5]!,
  (i % 17) + 1,
  ((i * 37) % 10_000) / 100,
  ((i * 13) % 5000) / 100,
  (i % 100) / 3,
];
const start = performance.now();

if (which === 'ai-stack') {
  const book = new XlsxWriter(createWriteStream(file));
  const sheet = book.addSheet('Orders', [
    { header: 'Id', type: 'number', format: 'integer' },
    { header: 'Date', type: 'date' },
    { header: 'Order', type: 'string' },
    { header: 'Customer', type: 'string' },
    { header: 'Units', type: 'number', format: 'integer' },
    { header: 'Revenue', type: 'number', format: 'currency' },
    { header: 'Cost', type: 'number', format: 'currency' },
    { header: 'Margin %', type: 'number', format: 'percent' },
  ]);
  for (let i = 1; i <= rows; i++) await sheet.addRow(row(i));
  await sheet.addTotals([{ kind: 'label', text: 'Total' }, undefined, undefined, undefined, { kind: 'sum' }, { kind: 'sum' }, { kind: 'sum' }, undefined]);
  await sheet.end();
  await book.end();
} else {
  const ExcelJS = (await import('exceljs')).default;
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: false, useStyles: true });
  const sheet = book.addWorksheet('Orders', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = [
    { header: 'Id', key: 'a', width: 10, style: { numFmt: '#,##0' } },
    { header: 'Date', key: 'b', width: 12, style: { numFmt: 'yyyy-mm-dd' } },
    { header: 'Order', key: 'c', width: 14 },
    { header: 'Customer', key: 'd', width: 20 },
    { header: 'Units', key: 'e', width: 8, style: { numFmt: '#,##0' } },
    { header: 'Revenue', key: 'f', width: 12, style: { numFmt: '#,##0.00' } },
    { header: 'Cost', key: 'g', width: 12, style: { numFmt: '#,##0.00' } },
    { header: 'Margin %', key: 'h', width: 10, style: { numFmt: '0.00"%"' } },
  ];
  sheet.autoFilter = 'A1:H1';
  for (let i = 1; i <= rows; i++) sheet.addRow(row(i)).commit();
  sheet
    .addRow([
      'Total',
      null,
      null,
      null,
      { formula: `SUBTOTAL(109,E2:E${rows + 1})` },
      { formula: `SUBTOTAL(109,F2:F${rows + 1})` },
      { formula: `SUBTOTAL(109,G2:G${rows + 1})` },
    ])
    .commit();
  sheet.commit();
  await book.commit();
}
const seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({ seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, bytes: statSync(file).size }));
