// Benchmark: the documents pipeline.
//  - extract_mb_per_s: our detect + extract + metadata + chunk (no vectors) vs the extraction libraries
//    called alone (pdfjs-dist getTextContent, mammoth.extractRawText, exceljs load, node-html-parser text,
//    iconv-lite decode) on the same mixed corpus; ours both with an extraction process (as deployed) and in-process.
//    The libraries also run a second time with pdf.js behind ai-stack's in-thread port (src/documents/extract/pdf-port.ts,
//    faster than pdf.js's default in Node): ours against that contender is the pipeline's own cost; the goal is
//    against the libraries called the plain way.
//    Each contender runs in its own process (extract-contender.ts): ours with the service's V8 settings
//    (SERVICE_NODE_FLAGS, heap growth bounded as `ai-stack start` bounds it), the libraries with plain node.
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
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createRuntime } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { SERVICE_NODE_FLAGS } from '../../src/cli/heap.ts';
import { assemble, chunkText, createHashingEmbedder, extractDocument } from '../../src/documents/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults, type Summary } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import { median, percentile, tidy } from '../lib/stats.ts';
import { corpus } from '../../fixtures/documents-corpus.ts';
import { CONTENDERS, LIBRARIES, RAW, RAW_OUR_PDF_PORT } from './extract-contender.ts';
import { buildPackage, describePeakRss, measurePeakRss, SOURCE_ENTRY, type PeakRss } from './peak-rss.ts';

const ROUNDS = Math.max(1, Number(process.env.BENCH_DOCUMENT_ROUNDS ?? 5)); // below 5 only for smoke runs (bench:all --smoke)
const UPLOADS = Number(process.env.BENCH_DOCUMENT_UPLOADS ?? 30);
const BIG_MB = Number(process.env.BENCH_DOCUMENT_BIG_MB ?? 200);
// Passes over the corpus each contender makes before the rounds. A fresh extraction thread (as extraction ran until
// 7 December) needed about five to reach its steady speed (JIT): CPU per pass ~450 ms, then ~100-130 for passes 2-4,
// ~70 from the fifth on, while the libraries warmed twice as fast; one warm-up pass measured it still warming. The
// extraction process now in its place starts as fresh, and a deployed one is reused for every document.
const WARMUP_PASSES = Math.max(1, Number(process.env.BENCH_DOCUMENT_WARMUP_PASSES ?? 8));
// One pass over the 0.12 MB corpus takes ~0.1 s, so one collection more or less swung a round's figure by half
// (0.79-1.66 MB/s for the raw libraries in one idle run): each round is several passes.
const PASSES_PER_ROUND = Math.max(1, Number(process.env.BENCH_DOCUMENT_PASSES ?? 10));
const RSS_ROUNDS = Math.max(1, Number(process.env.BENCH_DOCUMENT_RSS_ROUNDS ?? 3));
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

/** A contender in its own process (extract-contender.ts), started once and asked for one pass at a time. */
async function contenderProcess(name: string): Promise<{ name: string; run: () => Promise<number>; stop: () => void }> {
  // Ours runs with the launch flags of `ai-stack start` (bin/ai-stack.js), the libraries with plain node.
  const flags = LIBRARIES.includes(name) ? [] : [...SERVICE_NODE_FLAGS];
  const child = fork(new URL('./extract-contender.ts', import.meta.url), [name, ...mixed.map((f) => files.path(f.name))], {
    execArgv: flags,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited: Error | undefined;
  let waiting: ((answer: { ready?: true; seconds?: number; error?: string }) => void) | undefined;
  let failing: ((error: Error) => void) | undefined;
  child.on('message', (answer: { ready?: true; seconds?: number; error?: string }) => waiting?.(answer));
  child.on('exit', (code) => {
    exited = new Error(`contender ${name} exited (code ${code})`);
    failing?.(exited);
  });
  const next = () =>
    new Promise<{ ready?: true; seconds?: number; error?: string }>((resolve, reject) => {
      if (exited) return reject(exited);
      waiting = resolve;
      failing = reject;
    });
  const ready = await next();
  if (!ready.ready) throw new Error(`contender ${name} did not start: ${JSON.stringify(ready)}`);
  return {
    name,
    async run() {
      const answer = next();
      child.send({ pass: true });
      const { seconds, error } = await answer;
      if (seconds === undefined) throw new Error(`contender ${name} failed: ${error}`);
      return seconds;
    },
    stop: () => child.send({ stop: true }),
  };
}

console.log(`corpus: ${mixed.length} files, ${corpusMb.toFixed(2)} MB, ${ROUNDS} rounds of ${PASSES_PER_ROUND} interleaved passes after a warm-up`);
// Warm-up (module loading and JIT are not what is measured), then ROUNDS rounds. Within a round the contenders
// take turns pass by pass, the first of each turn rotating: this machine's speed drifts by up to 2x over seconds,
// and a round of one contender's passes after another's left each at a different speed (per-round ratios
// 0.47-1.08 in one run); turns a pass long put the drift on every contender alike.
const extractors = parts.has('extract') ? await Promise.all(CONTENDERS.map((name) => contenderProcess(name))) : [];
if (parts.has('extract')) for (let p = 0; p < WARMUP_PASSES; p++) for (const e of extractors) await e.run();
const passSeconds: Record<string, number[]> = !parts.has('extract')
  ? {}
  : await rotatedRounds<number>(extractors, { rounds: ROUNDS * PASSES_PER_ROUND, warmup: false });
/** MB/s of each round: its passes' corpus over their summed seconds. */
const extraction: Record<string, number[]> = Object.fromEntries(
  Object.entries(passSeconds).map(([name, seconds]) => [
    name,
    Array.from(
      { length: ROUNDS },
      (_, r) => (corpusMb * PASSES_PER_ROUND) / seconds.slice(r * PASSES_PER_ROUND, (r + 1) * PASSES_PER_ROUND).reduce((a, b) => a + b, 0),
    ),
  ]),
);
for (let r = 0; parts.has('extract') && r < ROUNDS; r++)
  console.log(
    `round ${r + 1}: ${Object.entries(extraction)
      .map(([k, v]) => `${k} ${(v[r] ?? NaN).toFixed(2)}`)
      .join(', ')} MB/s`,
  );
for (const e of extractors) e.stop();
const extractMedians = mediansOf(extraction, (v) => v);
for (const [name, mbPerS] of Object.entries(extractMedians)) console.log(`${name.padEnd(56)} ${mbPerS.toFixed(2)} MB/s (median)`);
const extractRatio = ratioOfRounds(extraction, (v) => v, 'ai-stack', RAW);
const ownPortRatio = ratioOfRounds(extraction, (v) => v, 'ai-stack', RAW_OUR_PDF_PORT);
if (parts.has('extract')) {
  console.log(
    `ai-stack / raw per-round ratio: median ${extractRatio.median.toFixed(3)} (min ${extractRatio.min.toFixed(3)}, max ${extractRatio.max.toFixed(3)})`,
  );
  console.log(
    `ai-stack / libraries with our pdf.js port: median ${ownPortRatio.median.toFixed(3)} (min ${ownPortRatio.min.toFixed(3)}, max ${ownPortRatio.max.toFixed(3)})`,
  );
}

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
      extraction: `${WARMUP_PASSES} warm-up passes per contender, then rounds of ${PASSES_PER_ROUND} passes over the corpus per contender, the contenders taking turns pass by pass (first of each turn rotating); each contender in its own process (ai-stack ones launched with the service's V8 flags and heap-growth setting, the libraries with plain node); ai-stack = detect + extract + metadata + chunk as deployed (PDF, Office, HTML in an extraction process; text, Markdown, CSV in the service's thread), ai-stack-in-process the same in one thread, ${RAW} = the libraries alone, ${RAW_OUR_PDF_PORT} = the libraries alone with pdf.js behind ai-stack's in-thread port (src/documents/extract/pdf-port.ts; the goal is against ${RAW})`,
      uploads: `${perRound} distinct 2-page PDFs per round through the HTTP API on the embedded defaults (SQLite, hashing embedder), until ready`,
      peak_rss: `${RSS_ROUNDS} run(s) each of the built package (\`node dist/cli/main.js start\`, the figure) and of the sources (\`ai-stack-src\`): \`ai-stack start\` as its own process, a ${BIG_MB} MB text file uploaded as streamed multipart, VmHWM once its task has finished`,
      embedder: '5000 chunks of ~400 tokens ×7, batches of 256, hashing embedder',
    },
    ratios: { [`extract_mb_per_s: ai-stack / ${RAW}`]: extractRatio, [`extract_mb_per_s: ai-stack / ${RAW_OUR_PDF_PORT}`]: ownPortRatio },
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
