// Benchmark: the documents pipeline.
//  - extract_mb_per_s: our detect + extract + metadata + chunk (no vectors) vs the extraction libraries
//    called alone (pdfjs-dist getTextContent, mammoth.extractRawText, exceljs load, node-html-parser text,
//    iconv-lite decode) on the same mixed corpus; ours both isolated in a worker thread (as deployed) and in-process.
//  - upload_to_ready_p50_ms: a distinct 2-page PDF uploaded through the HTTP API on the embedded defaults until ready.
//  - peak_rss_mb_200mb_upload: peak RSS (VmHWM) of an `ai-stack start` process while a 200 MB file is uploaded and processed.
//  - embed_chunks_per_s: the hashing embedder on ~400-token chunks.
// Run: npm run bench:documents   (writes bench/results/documents.json)
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import mammoth from 'mammoth';
import { parse as parseHtml } from 'node-html-parser';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createRuntime } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { assemble, chunkText, createHashingEmbedder, detectType, documentMetadata, extractDocument, runExtraction } from '../../src/documents/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { RESULTS_DIR } from '../lib/results.ts';
import { corpus } from '../../fixtures/documents-corpus.ts';
import { measurePeakRss } from './peak-rss.ts';

const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
const ROUNDS = Number(process.env.BENCH_DOCUMENT_ROUNDS ?? 5);
const UPLOADS = Number(process.env.BENCH_DOCUMENT_UPLOADS ?? 30);
const BIG_MB = Number(process.env.BENCH_DOCUMENT_BIG_MB ?? 200);
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length - 1) * p))] ?? NaN;

const files = await corpus();
const mixed = [
  'english.pdf',
  'chinese.pdf',
  'long.pdf',
  'docx/chinese.docx',
  'docx/english.docx',
  'sales.xlsx',
  'page.html',
  'guide.md',
  'notes-gb18030.txt',
  'table-gbk.csv',
].map((name) => ({ name, bytes: files.bytes(name) }));
const corpusMb = mixed.reduce((sum, f) => sum + f.bytes.length, 0) / 1024 / 1024;

async function raw(name: string, bytes: Buffer): Promise<number> {
  if (name.endsWith('.pdf')) {
    const task = pdfjs.getDocument({ data: new Uint8Array(bytes), verbosity: 0 });
    const doc = await task.promise;
    let n = 0;
    for (let p = 1; p <= doc.numPages; p++) n += (await (await doc.getPage(p)).getTextContent()).items.length;
    await task.destroy();
    return n;
  }
  if (name.endsWith('.docx')) return (await mammoth.extractRawText({ buffer: bytes })).value.length;
  if (name.endsWith('.xlsx')) {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    return wb.worksheets.length;
  }
  if (name.endsWith('.html')) return parseHtml(bytes.toString('utf8')).text.length;
  return iconv.decode(bytes, name.includes('gb') ? 'gb18030' : 'utf-8').length;
}

async function ours(bytes: Buffer, name: string, isolated: boolean): Promise<number> {
  const type = await detectType(bytes, name);
  const extracted = isolated
    ? await runExtraction(Buffer.from(bytes), { type, filename: name, timeoutMs: 60_000, memoryMb: 512 })
    : await extractDocument(bytes, { type, filename: name });
  const assembled = assemble(extracted.blocks);
  documentMetadata(extracted, assembled.text);
  return chunkText(assembled).length;
}

async function throughput(label: string, fn: (f: { name: string; bytes: Buffer }) => Promise<number>): Promise<number> {
  for (const f of mixed) await fn(f); // warm-up: module loading and JIT are not what is measured
  const started = performance.now();
  for (let r = 0; r < ROUNDS; r++) for (const f of mixed) await fn(f);
  const mbPerS = (corpusMb * ROUNDS) / ((performance.now() - started) / 1000);
  console.log(`${label.padEnd(28)} ${mbPerS.toFixed(2)} MB/s`);
  return mbPerS;
}

console.log(`corpus: ${mixed.length} files, ${corpusMb.toFixed(2)} MB, ${ROUNDS} rounds`);
const rawMb = await throughput('raw libraries', (f) => raw(f.name, f.bytes));
const inProcessMb = await throughput('ai-stack (in-process)', (f) => ours(f.bytes, f.name, false));
const isolatedMb = await throughput('ai-stack (worker thread)', (f) => ours(f.bytes, f.name, true));

// embed_chunks_per_s
const chunkSource = assemble((await extractDocument(files.bytes('long.pdf'))).blocks.concat((await extractDocument(files.bytes('docx/chinese.docx'))).blocks));
const chunks = chunkText(chunkSource, { maxTokens: 400, overlapTokens: 0 }).map((c) => c.text);
const texts = Array.from({ length: 5000 }, (_, i) => (chunks[i % chunks.length] ?? '') + ' ' + (chunks[(i * 7) % chunks.length] ?? '').repeat(6));
const embedder = createHashingEmbedder();
const embedStart = performance.now();
for (let i = 0; i < texts.length; i += 256) await embedder.embed(texts.slice(i, i + 256));
const embedPerS = texts.length / ((performance.now() - embedStart) / 1000);
console.log(`hashing embedder             ${embedPerS.toFixed(0)} chunks/s (avg ${Math.round(texts.reduce((s, t) => s + t.length, 0) / texts.length)} chars)`);

// upload_to_ready_p50_ms
async function twoPagePdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let n = 1; n <= 2; n++)
    pdf.addPage([595, 842]).drawText(`Page ${n}. Quarterly figures ${randomBytes(8).toString('hex')}.\nRevenue grew in every region this quarter.`, {
      x: 50,
      y: 780,
      size: 12,
      font,
    });
  return pdf.save();
}
const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-bench-docs-'));
const runtime = await createRuntime(loadConfig({ PORT: '0', AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { logger: silentLogger });
await runtime.startBackground();
const base = (await runtime.listen()).replace('[::1]', '127.0.0.1');
const auth = { authorization: `Bearer ${runtime.bootstrapKey}` };
const latencies: number[] = [];
for (let i = 0; i < UPLOADS; i++) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(await twoPagePdf())]), `two-${i}.pdf`);
  const started = performance.now();
  const res = await fetch(`${base}/api/v1/documents`, { method: 'POST', body: form, headers: auth });
  const { document } = (await res.json()) as { document: { id: number } };
  for (;;) {
    const doc = (await (await fetch(`${base}/api/v1/documents/${document.id}`, { headers: auth })).json()) as { status: string };
    if (doc.status === 'ready' || doc.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 5));
  }
  latencies.push(performance.now() - started);
}
await runtime.stop();
rmSync(dataDir, { recursive: true, force: true });
const p50 = percentile(latencies, 0.5);
console.log(`upload → ready (2-page PDF)  p50 ${p50.toFixed(0)} ms, p95 ${percentile(latencies, 0.95).toFixed(0)} ms`);

// peak_rss_mb_200mb_upload: a separate `ai-stack start` process, its VmHWM read from /proc (bench/documents/peak-rss.ts).
const { peak, afterUpload, size, status: resStatus, finalStatus, finalError, seconds } = await measurePeakRss(BIG_MB);
console.log(
  `${BIG_MB} MB upload: HTTP ${resStatus}, peak RSS after upload ${afterUpload.toFixed(0)} MB, after processing ${peak.toFixed(0)} MB, document ${finalStatus} in ${seconds.toFixed(0)} s${finalError ? ` (${finalError})` : ''}`,
);

const results = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(totalmem() / 1024 ** 3), node: process.version },
  corpus: { files: mixed.map((f) => f.name), mb: Number(corpusMb.toFixed(3)), rounds: ROUNDS },
  extract_mb_per_s: {
    'ai-stack': Number(isolatedMb.toFixed(3)),
    'ai-stack-in-process': Number(inProcessMb.toFixed(3)),
    'pdfjs-dist+mammoth+exceljs+node-html-parser+iconv-lite': Number(rawMb.toFixed(3)),
  },
  upload_to_ready_p50_ms: { 'ai-stack': Number(p50.toFixed(1)) },
  peak_rss_mb_200mb_upload: {
    'ai-stack': Number(peak.toFixed(0)),
    after_upload_only: Number(afterUpload.toFixed(0)),
    file_mb: Number((size / 1024 / 1024).toFixed(0)),
    seconds: Number(seconds.toFixed(0)),
    document_status: finalStatus,
    error: finalError,
  },
  embed_chunks_per_s: { 'ai-stack-hashing': Number(embedPerS.toFixed(0)) },
};
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(join(RESULTS_DIR, 'documents.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${join(RESULTS_DIR, 'documents.json')}`);
process.exit(0);
