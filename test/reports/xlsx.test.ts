import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { XlsxWriter } from '../../src/reports/xlsx/writer.ts';
import { sheetsAsCsv } from '../support/libreoffice.ts';

const dir = mkdtempSync(join(tmpdir(), 'ai-stack-xlsx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('streaming XLSX writer, checked by opening the file in LibreOffice', () => {
  it('typed numbers and dates, CJK and hostile text, SUBTOTAL formulas, several sheets', async () => {
    const file = join(dir, 'book.xlsx');
    const book = new XlsxWriter(createWriteStream(file));
    const sales = book.addSheet('销售 Sales', [
      { header: '日期', type: 'date' },
      { header: '客户 Customer', type: 'string' },
      { header: 'Units', type: 'number', format: 'integer' },
      { header: 'Revenue', type: 'number', format: 'currency' },
      { header: 'Margin %', type: 'number', format: 'percent' },
    ]);
    const rows = 250;
    let revenue = 0;
    for (let i = 0; i < rows; i++) {
      const r = Math.round((i * 37.5 + 0.25) * 100) / 100;
      revenue += r;
      await sales.addRow([
        `2025-${String((i % 12) + 1).padStart(2, '0')}-15`,
        i === 0 ? '北京电子有限公司' : i === 1 ? '<b>&"x"</b>\u0001' : `Customer ${i}`,
        i,
        r,
        30 + (i % 7),
      ]);
    }
    await sales.addTotals([{ kind: 'label', text: '合计 Total' }, undefined, { kind: 'sum' }, { kind: 'sum' }, { kind: 'value', value: 33.3 }]);
    await sales.end();
    const other = book.addSheet('Sales', [{ header: 'n', type: 'number' }]);
    await other.addRow([42]);
    await book.end();

    const sheets = await sheetsAsCsv(file);
    const first = sheets['销售 Sales'];
    const second = sheets.Sales;
    expect(first![0]).toEqual(['日期', '客户 Customer', 'Units', 'Revenue', 'Margin %']);
    expect(first![1]![0]).toBe('2025-01-15');
    expect(first![1]![1]).toBe('北京电子有限公司');
    expect(first![2]![1]).toBe('<b>&"x"</b>');
    expect(first![1]![3]).toBe('0.25');
    expect(first![1]![4]).toBe('30');
    const totals = first![rows + 1]!;
    expect(totals[0]).toBe('合计 Total');
    // The formula was recalculated by LibreOffice: it equals our own sum.
    expect(Number(totals[2])).toBe((rows * (rows - 1)) / 2);
    expect(Number(totals[3]!.replaceAll(',', ''))).toBeCloseTo(revenue, 2);
    expect(second).toEqual([['n'], ['42']]);
  }, 180_000);
});
