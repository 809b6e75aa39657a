// Benchmark: the documents pipeline.
//  - extract_mb_per_s: our detect + extract + metadata + chunk (no vectors) vs the extraction libraries
//    called alone (pdfjs-dist getTextContent, mammoth.extractRawText, exceljs load, node-html-parser text,
//    iconv-lite decode) on the same mixed corpus; ours both isolated in a worker thread (as deployed) and in-process.
//  - upload_to_ready_p50_ms: a distinct 2-page PDF uploaded through the HTTP API on the embedded defaults until ready.
//  - peak_rss_mb_200mb_upload: peak RSS (VmHWM) of an `ai-stack start` process while a 200 MB file is uploaded and processed,
//    the service as shipped (the built package, dist/: `npm run build` runs first); beside it `ai-stack-src`, the
//    same run from the TypeScript sources as `npm start` runs them in the repository (type stripping: ~40 MB more).
//  - embed_chunks_per_s: the hashing embedder on ~400-token chunks.
// Each figure is the median of ≥ 5 rotated rounds after a warm-up (bench/lib/rounds.ts); the peak RSS is the worst of
// BENCH_DOCUMENT_RSS_ROUNDS (default 3) service runs. Every round's raw figures and the machine go to `_runs.documents`.
// Run: npm run bench:documents   (writes bench/results/documents.json through bench/lib/results.ts)
//   --parts extract,embed,upload,rss   (default all) runs only those parts and prints their figures; a partial run
//   writes no results file (the file holds one record of all four).
// Sizes: BENCH_DOCUMENT_ROUNDS, BENCH_DOCUMENT_UPLOADS (30, spread over the rounds), BENCH_DOCUMENT_BIG_MB (200).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import mammoth from 'mammoth';
import { parse as parseHtml } from 'node-html-parser';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createRuntime } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { readsInServiceThread } from '../../src/documents/source.ts';
import { assemble, chunkText, createHashingEmbedder, detectType, documentMetadata, extractDocument, runExtraction } from '../../src/documents/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults, type Summary } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import { median, percentile, tidy } from '../lib/stats.ts';
import { corpus } from '../../fixtures/documents-corpus.ts';
import { buildPackage, describePeakRss, measurePeakRss, SOURCE_ENTRY, type PeakRss } from './peak-rss.ts';

const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
const ROUNDS = Math.max(1, Number(process.env.BENCH_DOCUMENT_ROUNDS ?? 5)); // below 5 only for smoke runs (bench:all --smoke)
const UPLOADS = Number(process.env.BENCH_DOCUMENT_UPLOADS ?? 30);
const BIG_MB = Number(process.env.BENCH_DOCUMENT_BIG_MB ?? 200);
// Passes over the corpus each contender makes before the rounds. A fresh extraction thread needs about five to reach
// its steady speed (JIT): thread CPU per pass ~450 ms, then ~100-130 for passes 2-4, ~70 from the fifth on. One
// warm-up pass measured the thread while still warming, whereas the libraries in this thread warm twice as fast
// (the raw and in-process contenders run the same modules). A deployed thread is reused for every document.
const WARMUP_PASSES = Math.max(1, Number(process.env.BENCH_DOCUMENT_WARMUP_PASSES ?? 8));
// One pass over the 0.12 MB corpus takes ~0.1 s, so one collection more or less swung a round's figure by half
// (0.79-1.66 MB/s for the raw libraries in one idle run): each round is several passes.
const PASSES_PER_ROUND = Math.max(1, Number(process.env.BENCH_DOCUMENT_PASSES ?? 5));
const RSS_ROUNDS = Math.max(1, Number(process.env.BENCH_DOCUMENT_RSS_ROUNDS ?? 3));
/** The extraction thread's heap limit as deployed (AI_STACK_EXTRACT_MEMORY_MB, its default unless set). */
const EXTRACT_MEMORY_MB = loadConfig(process.env).documents.extractMemoryMb;
const RAW = 'pdfjs-dist+mammoth+exceljs+node-html-parser+iconv-lite';
const ALL_PARTS = ['extract', 'embed', 'upload', 'rss'];
const partsFlag = process.argv.indexOf('--parts');
const parts = new Set(partsFlag >= 0 ? (process.argv[partsFlag + 1] ?? '').split(',') : ALL_PARTS);
const unknownPart = [...parts].find((p) => !ALL_PARTS.includes(p));
if (unknownPart) throw new Error(`--parts: unknown part "${unknownPart}" (known: ${ALL_PARTS.join(', ')})`);
const openRun = await beginRun(
  `npm run bench:documents`,
  machineFacts({ packages: ['pdfjs-dist', 'mammoth', 'exceljs', 'node-html-parser', 'iconv-lite', 'gpt-tokenizer', 'opencc-js', '@node-rs/jieba'] }),
);

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
  // As deployed (src/documents/source.ts): text, Markdown and CSV are read in the service's thread, the rest in a worker thread.
  const extracted =
    isolated && !readsInServiceThread(type)
      ? await runExtraction(Buffer.from(bytes), { type, filename: name, timeoutMs: 60_000, memoryMb: EXTRACT_MEMORY_MB })
      : await extractDocument(bytes, { type, filename: name });
  const assembled = assemble(extracted.blocks);
  documentMetadata(extracted, assembled.text);
  return chunkText(assembled).length;
}

/** One pass over the mixed corpus; MB/s of that pass. */
const pass = (fn: (f: { name: string; bytes: Buffer }) => Promise<number>) => async (): Promise<number> => {
  const started = performance.now();
  for (let p = 0; p < PASSES_PER_ROUND; p++) for (const f of mixed) await fn(f);
  return (corpusMb * PASSES_PER_ROUND) / ((performance.now() - started) / 1000);
};

console.log(`corpus: ${mixed.length} files, ${corpusMb.toFixed(2)} MB, ${ROUNDS} rotated rounds after a warm-up`);
// Warm-up (module loading and JIT are not what is measured), then ROUNDS rounds, the first contender rotating.
const extractors = [
  { name: RAW, run: pass((f) => raw(f.name, f.bytes)) },
  { name: 'ai-stack-in-process', run: pass((f) => ours(f.bytes, f.name, false)) },
  { name: 'ai-stack', run: pass((f) => ours(f.bytes, f.name, true)) },
];
if (parts.has('extract')) for (let p = 0; p < Math.ceil(WARMUP_PASSES / PASSES_PER_ROUND); p++) for (const e of extractors) await e.run();
const extraction: Record<string, number[]> = !parts.has('extract')
  ? {}
  : await rotatedRounds<number>(extractors, {
      rounds: ROUNDS,
      warmup: false,
      onRound: (r, figures) =>
        console.log(
          `round ${r + 1}: ${Object.entries(figures)
            .map(([k, v]) => `${k} ${v.toFixed(2)}`)
            .join(', ')} MB/s`,
        ),
    });
const extractMedians = mediansOf(extraction, (v) => v);
for (const [name, mbPerS] of Object.entries(extractMedians)) console.log(`${name.padEnd(56)} ${mbPerS.toFixed(2)} MB/s (median)`);
const extractRatio = ratioOfRounds(extraction, (v) => v, 'ai-stack', RAW);
if (parts.has('extract'))
  console.log(
    `ai-stack / raw per-round ratio: median ${extractRatio.median.toFixed(3)} (min ${extractRatio.min.toFixed(3)}, max ${extractRatio.max.toFixed(3)})`,
  );

// embed_chunks_per_s
const chunkSource = assemble((await extractDocument(files.bytes('long.pdf'))).blocks.concat((await extractDocument(files.bytes('docx/chinese.docx'))).blocks));
const chunks = chunkText(chunkSource, { maxTokens: 400, overlapTokens: 0 }).map((c) => c.text);
const texts = Array.from({ length: 5000 }, (_, i) => (chunks[i % chunks.length] ?? '') + ' ' + (chunks[(i * 7) % chunks.length] ?? '').repeat(6));
const embedder = createHashingEmbedder();
const embedding: Record<string, number[]> = !parts.has('embed')
  ? {}
  : await rotatedRounds<number>(
      [
        {
          name: 'ai-stack-hashing',
          async run() {
            const started = performance.now();
            for (let i = 0; i < texts.length; i += 256) await embedder.embed(texts.slice(i, i + 256));
            return texts.length / ((performance.now() - started) / 1000);
          },
        },
      ],
      { rounds: ROUNDS },
    );
const embedPerS = mediansOf(embedding, (v) => v)['ai-stack-hashing'] ?? NaN;
if (parts.has('embed'))
  console.log(
    `hashing embedder             ${embedPerS.toFixed(0)} chunks/s (avg ${Math.round(texts.reduce((s, t) => s + t.length, 0) / texts.length)} chars)`,
  );

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
const latencies: number[] = [];
const uploadRounds: number[][] = [];
const perRound = Math.max(1, Math.round(UPLOADS / ROUNDS));
async function uploads(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-bench-docs-'));
  // The status polls below (every 5 ms) would pass the default 1,200 requests a minute: this measures the pipeline, not the limiter.
  const runtime = await createRuntime(loadConfig({ PORT: '0', AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'silent', AI_STACK_RATE_LIMIT_PER_MINUTE: '10000000' }), {
    logger: silentLogger,
  });
  await runtime.startBackground();
  const base = (await runtime.listen()).replace('[::1]', '127.0.0.1');
  const auth = { authorization: `Bearer ${runtime.bootstrapKey}` };
  for (let round = 0; round < ROUNDS; round++) {
    const times: number[] = [];
    for (let i = 0; i < perRound; i++) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(await twoPagePdf())]), `two-${round}-${i}.pdf`);
      const started = performance.now();
      const res = await fetch(`${base}/api/v1/documents`, { method: 'POST', body: form, headers: auth });
      if (!res.ok) throw new Error(`upload ${round}/${i} answered ${res.status}: ${await res.text()}`);
      const { document } = (await res.json()) as { document: { id: number } };
      for (;;) {
        const poll = await fetch(`${base}/api/v1/documents/${document.id}`, { headers: auth });
        if (!poll.ok) throw new Error(`status of document ${document.id} answered ${poll.status}: ${await poll.text()}`);
        const doc = (await poll.json()) as { status: string };
        if (doc.status === 'ready' || doc.status === 'failed') break;
        await new Promise((r) => setTimeout(r, 5));
      }
      times.push(performance.now() - started);
    }
    uploadRounds.push(times);
    latencies.push(...times);
  }
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`upload → ready (2-page PDF)  p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p95 ${percentile(latencies, 0.95).toFixed(0)} ms`);
}
if (parts.has('upload')) await uploads();

const p50 = latencies.length > 0 ? percentile(latencies, 0.5) : NaN;
// peak_rss_mb_200mb_upload: a separate `ai-stack start` process per round, its VmHWM read from /proc (bench/documents/peak-rss.ts).
// Each round runs the built package, then the sources (the secondary figure).
const rssRuns: PeakRss[] = [];
const rssSourceRuns: PeakRss[] = [];
if (parts.has('rss')) buildPackage();
for (let round = 0; round < (parts.has('rss') ? RSS_ROUNDS : 0); round++) {
  const r = await measurePeakRss(BIG_MB);
  rssRuns.push(r);
  console.log(`${BIG_MB} MB upload (round ${round + 1}/${RSS_ROUNDS}), built package: ${describePeakRss(r)}`);
  const fromSource = await measurePeakRss(BIG_MB, { entry: SOURCE_ENTRY });
  rssSourceRuns.push(fromSource);
  console.log(`${BIG_MB} MB upload (round ${round + 1}/${RSS_ROUNDS}), from src: ${describePeakRss(fromSource)}`);
}
if (parts.size < ALL_PARTS.length) {
  console.log(`partial run (--parts ${[...parts].join(',')}): no results file written`);
  process.exit(0);
}
// A ceiling holds only if it holds in every run: the summary is the worst round, the spread is in the run record.
const worst = rssRuns.reduce((a, b) => (b.peak > a.peak ? b : a));
const failed = [...rssRuns, ...rssSourceRuns].find((r) => r.finalStatus !== 'ready');

const summary: Summary = {
  extract_mb_per_s: Object.fromEntries(Object.entries(extractMedians).map(([k, v]) => [k, tidy(v)])),
  upload_to_ready_p50_ms: { 'ai-stack': tidy(p50) },
  peak_rss_mb_200mb_upload: {
    'ai-stack': Math.round(worst.peak),
    'ai-stack-src': Math.round(Math.max(...rssSourceRuns.map((r) => r.peak))),
    idle: Math.round(median(rssRuns.map((r) => r.idle))),
    idle_src: Math.round(median(rssSourceRuns.map((r) => r.idle))),
    after_upload_only: Math.round(Math.max(...rssRuns.map((r) => r.afterUpload))),
    file_mb: Math.round(worst.size / 1024 / 1024),
    seconds: Math.round(median(rssRuns.map((r) => r.seconds))),
    document_status: failed?.finalStatus ?? worst.finalStatus,
    error: failed?.finalError ?? worst.finalError ?? '',
  },
  embed_chunks_per_s: { 'ai-stack-hashing': tidy(embedPerS) },
};
const path = writeResults(
  'documents',
  'documents',
  summary,
  openRun.finish({
    settings: {
      corpus: { files: mixed.map((f) => f.name), mb: Number(corpusMb.toFixed(3)) },
      rounds: ROUNDS,
      extraction: `${Math.ceil(WARMUP_PASSES / PASSES_PER_ROUND) * PASSES_PER_ROUND} warm-up passes per contender, then ${PASSES_PER_ROUND} passes over the corpus per contender per round; ai-stack = detect + extract + metadata + chunk as deployed (PDF, Office, HTML in a worker thread; text, Markdown, CSV in this thread), ai-stack-in-process the same in this thread, ${RAW} = the libraries alone`,
      uploads: `${perRound} distinct 2-page PDFs per round through the HTTP API on the embedded defaults (SQLite, hashing embedder), until ready`,
      peak_rss: `${RSS_ROUNDS} run(s) each of the built package (\`node dist/cli/main.js start\`, the figure) and of the sources (\`ai-stack-src\`): \`ai-stack start\` as its own process, a ${BIG_MB} MB text file uploaded as streamed multipart, VmHWM once its task has finished`,
      embedder: '5000 chunks of ~400 tokens ×7, batches of 256, hashing embedder',
    },
    ratios: { [`extract_mb_per_s: ai-stack / ${RAW}`]: extractRatio },
    rounds: {
      extract_mb_per_s: extraction,
      embed_chunks_per_s: embedding,
      upload_to_ready_ms: uploadRounds.map((times) => ({ p50: percentile(times, 0.5), values: times.map((t) => Number(t.toFixed(1))) })),
      peak_rss_mb_200mb_upload: rssRuns,
      peak_rss_mb_200mb_upload_src: rssSourceRuns,
    },
  }),
);
console.log(`wrote ${path}`);
process.exit(0);
