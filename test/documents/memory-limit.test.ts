import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { allChunks, documentService, settled, upload } from './support.ts';

const MEMORY_MB = 64;

/**
 * A real workbook whose one sheet is replaced by ~60 MB of XML: 400 000 rows of distinct numbers. It passes
 * the ZIP checks (a few MB compressed, inflating far less than 200×), but exceljs needs several hundred MB
 * to hold its cells: only the extraction thread's memory limit stops it.
 */
async function hugeSheetXlsx(): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet('Data').addRow(['placeholder']);
  const zip = await JSZip.loadAsync(Buffer.from(await workbook.xlsx.writeBuffer()));
  const rows: string[] = [];
  for (let r = 1; r <= 400_000; r++) {
    rows.push(
      `<row r="${r}"><c r="A${r}"><v>${r * 7919}</v></c><c r="B${r}"><v>${(r * 104729) % 1_000_003}</v></c><c r="C${r}"><v>${r % 977}.${r % 89}</v></c></row>`,
    );
  }
  const sheet = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows.join('')}</sheetData></worksheet>`;
  zip.file('xl/worksheets/sheet1.xml', sheet);
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}

describe('documents: the extraction memory limit', () => {
  const service = documentService('sqlite', { AI_STACK_EXTRACT_MEMORY_MB: String(MEMORY_MB), AI_STACK_EXTRACT_TIMEOUT_MS: '300000' });

  it('fails a workbook that needs more than the limit with a clear error; the service and the next extraction carry on', async () => {
    const bomb = await hugeSheetXlsx();
    const svc = service.svc;
    const res = await upload(svc, bomb, 'huge.xlsx');
    expect(res.status).toBe(202);
    expect(res.body.document.detected_type).toBe('xlsx');
    const failed = await settled(svc, res.body.document.id, 240_000);
    expect(failed).toMatchObject({ status: 'failed', error_step: 'extract' });
    expect(failed.error).toMatch(new RegExp(`more than the ${MEMORY_MB} MB memory limit`));
    expect(await allChunks(svc, res.body.document.id)).toEqual([]);

    // The same process, a new extraction thread: a normal workbook still goes through.
    const fine = await upload(svc, service.files.bytes('sales.xlsx'), 'sales.xlsx');
    expect(await settled(svc, fine.body.document.id)).toMatchObject({ status: 'ready' });
    expect((await allChunks(svc, fine.body.document.id)).length).toBeGreaterThan(0);
    expect((await svc.call('/healthz')).status).toBe(200);
  }, 300_000);
});
