import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import JSZip from 'jszip';
import { PDFDocument, PDFName, PDFNumber, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { corpus, longPdf, type Corpus } from '../../fixtures/documents-corpus.ts';
import { settled, upload } from './support.ts';

const MAX_BYTES = 2 * 1024 * 1024;

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

async function zipOf(entries: Record<string, string | Uint8Array>): Promise<Uint8Array> {
  const zip = new JSZip();
  for (const [name, data] of Object.entries(entries)) zip.file(name, data);
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}

const CONTENT_TYPES =
  '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';

/** Hostile and broken files: each fails its own upload or document with a clear error; the service carries on. */
describe('documents: hostile files are contained', () => {
  let svc: TestService;
  let files: Corpus;
  const dataDir = () => svc.runtime.config.dataDir;
  const documentCount = async () =>
    Number(
      (
        await svc.runtime.db.kysely
          .selectFrom('documents')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst()
      )?.n,
    );
  const healthy = async () => expect((await svc.call('/api/v1/documents?page_size=1')).status).toBe(200);

  beforeAll(async () => {
    files = await corpus();
    svc = await startTestService('sqlite', { AI_STACK_UPLOAD_MAX_BYTES: String(MAX_BYTES) });
    await svc.runtime.startBackground();
  }, 240_000);
  afterAll(async () => {
    await svc?.cleanup();
  });

  it('cuts an over-size upload off with 413 and keeps nothing of it', async () => {
    const before = await documentCount();
    const res = await upload(svc, new Uint8Array(MAX_BYTES + 1).fill(65), 'big.txt');
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'content_too_large', status: 413 });
    expect(await documentCount()).toBe(before);
    expect(filesUnder(join(dataDir(), 'blobs')).filter((f) => !f.includes('/sha256/'))).toEqual([]);
    expect(filesUnder(join(dataDir(), 'blobs', 'sha256'))).toHaveLength(0);
    await healthy();
  });

  it('refuses a 0-byte file with 422', async () => {
    const res = await upload(svc, new Uint8Array(0), 'empty.pdf');
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/empty/);
  });

  it('refuses a file whose extension lies (a ZIP named .pdf, a gzip stream named .docx) with 415', async () => {
    const zip = await upload(svc, await zipOf({ 'notes.txt': 'hello' }), 'report.pdf');
    expect(zip.status).toBe(415);
    expect(zip.body.detail).toMatch(/ZIP archive but not a DOCX/);
    const res = await upload(svc, gzipSync(Buffer.from('not a letter')), 'letter.docx');
    expect(res.status).toBe(415);
    expect(res.body.detail).toMatch(/application\/gzip/);
    // An image is a document of its own (its thumbnail), whatever its name says.
    const png = Buffer.from(
      '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6c6e40000000049454e44ae426082',
      'hex',
    );
    const image = await upload(svc, png, 'letter.docx');
    expect(image.status).toBe(202);
    expect(image.body.document).toMatchObject({ detected_type: 'image', media_type: 'image/png' });
    // A real PDF named .txt is read as the PDF it is.
    const named = await upload(svc, files.bytes('traditional.pdf'), 'notes.txt');
    expect(named.body.document.detected_type).toBe('pdf');
  });

  it('stores hostile file names safely (../, NUL, 300 characters)', async () => {
    const traversal = await upload(svc, Buffer.from('path traversal attempt one'), '../../../etc/passwd.txt');
    expect(traversal.body.document.filename).toBe('passwd.txt');
    const nul = await upload(svc, Buffer.from('name with a nul byte'), 'bad\u0000name.txt');
    expect(nul.status).toBe(202);
    expect(nul.body.document.filename).not.toContain('\u0000');
    const long = await upload(svc, Buffer.from('a very long name'), `${'长'.repeat(300)}.md`);
    expect(long.body.document.filename).toHaveLength(255);
    expect(long.body.document.filename.endsWith('.md')).toBe(true);
    expect(filesUnder('/etc').some((f) => f.includes('ai-stack'))).toBe(false);
  });

  it('fails a DOCX decompression bomb (huge inflation, too many entries) with a clear error', async () => {
    const bomb = await zipOf({ '[Content_Types].xml': CONTENT_TYPES, 'word/document.xml': new Uint8Array(20 * 1024 * 1024) });
    const res = await upload(svc, bomb, 'bomb.docx');
    expect(res.status).toBe(202);
    const doc = await settled(svc, res.body.document.id);
    expect(doc).toMatchObject({ status: 'failed', error_step: 'extract' });
    expect(doc.error).toMatch(/decompression bomb/);

    const many: Record<string, string> = { '[Content_Types].xml': CONTENT_TYPES, 'word/document.xml': '<w:document/>' };
    for (let i = 0; i < 10_050; i++) many[`word/media/e${i}.xml`] = '';
    const crowded = await upload(svc, await zipOf(many), 'crowded.docx');
    const failed = await settled(svc, crowded.body.document.id);
    expect(failed.error).toMatch(/ZIP entries, more than the 10000 allowed/);
    await healthy();
  });

  it('fails truncated PDF and DOCX files with a readable error', async () => {
    const pdf = files.bytes('english.pdf');
    const cutPdf = await upload(svc, pdf.subarray(0, Math.floor(pdf.length / 3)), 'cut.pdf');
    const pdfDoc = await settled(svc, cutPdf.body.document.id);
    // pdf.js recovers what it can from a damaged file; either it reads the pages it finds or it says why not.
    if (pdfDoc.status === 'failed') expect(pdfDoc.error).toMatch(/PDF/);
    else expect(pdfDoc.status).toBe('ready');
    const docx = files.bytes('docx/english.docx');
    const cutDocx = await upload(svc, docx.subarray(0, Math.floor(docx.length / 2)), 'cut.docx');
    const docxDoc = await settled(svc, cutDocx.body.document.id);
    expect(docxDoc).toMatchObject({ status: 'failed', error_step: 'extract' });
    expect(docxDoc.error).toMatch(/ZIP|DOCX/);
    await healthy();
  });

  it('refuses a PDF with more pages than allowed, and one whose page tree lies about its count', async () => {
    const many = await startTestService('sqlite', { AI_STACK_EXTRACT_MAX_PAGES: '150' });
    try {
      await many.runtime.startBackground();
      const res = await upload(many, files.bytes('long.pdf'), 'long.pdf');
      const doc = await settled(many, res.body.document.id);
      expect(doc).toMatchObject({ status: 'failed', error_step: 'extract' });
      expect(doc.error).toMatch(/the PDF has 200 pages, more than the 150 allowed/);
    } finally {
      await many.cleanup();
    }
    // pdf.js checks a page tree's /Count against its kids: a lying count does not make it loop over millions of pages.
    const pdf = await PDFDocument.create();
    pdf.addPage().drawText('one real page', { font: await pdf.embedFont(StandardFonts.Helvetica) });
    pdf.catalog.Pages().set(PDFName.of('Count'), PDFNumber.of(50_000_000));
    const liar = await settled(svc, (await upload(svc, await pdf.save(), 'pages.pdf')).body.document.id);
    if (liar.status === 'failed') expect(liar.error).toMatch(/pages|PDF/);
    else expect(liar.status).toBe('ready');
    await healthy();
  });

  it('contains a PDF with deeply nested objects', async () => {
    const depth = 200_000;
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const body = `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R /Deep 4 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Annots 4 0 R >> endobj\n4 0 obj ${nested} endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`;
    const res = await upload(svc, Buffer.from(body), 'deep.pdf');
    expect(res.status).toBe(202);
    const doc = await settled(svc, res.body.document.id);
    expect(['ready', 'failed']).toContain(doc.status);
    if (doc.status === 'failed') expect(doc.error).toMatch(/\S/);
    await healthy();
  });

  it('keeps nothing from an upload cut off mid-stream, and keeps serving', async () => {
    const before = await documentCount();
    const url = new URL('/api/v1/documents', svc.baseUrl);
    const boundary = 'cutcutcut';
    await new Promise<void>((resolve) => {
      const req = request(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${svc.adminKey}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(1_000_000) },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.txt"\r\nContent-Type: text/plain\r\n\r\n`);
      req.write(Buffer.alloc(300_000, 66), () => setImmediate(() => req.destroy()));
    });
    await healthy();
    // The server learns of the cut when its socket closes: wait for it to clean up, then check nothing was kept.
    await eventually(() => filesUnder(join(dataDir(), 'blobs', '.staging')).length === 0, 15_000, 'the staged part of the cut upload to be removed');
    expect(await documentCount()).toBe(before);
  });

  it('stops an extraction that passes its time limit and fails only that document', async () => {
    const slow = await startTestService('sqlite', { AI_STACK_EXTRACT_TIMEOUT_MS: '100' });
    try {
      await slow.runtime.startBackground();
      const res = await upload(slow, await longPdf(200), 'slow.pdf');
      const doc = await settled(slow, res.body.document.id);
      expect(doc).toMatchObject({ status: 'failed', error_step: 'extract' });
      expect(doc.error).toMatch(/longer than 100 ms/);
      const fine = await upload(slow, Buffer.from('still working after a timeout'), 'ok.txt');
      expect(fine.status).toBe(202);
    } finally {
      await slow.cleanup();
    }
  });
});
