// One contender of extract_mb_per_s in its own process (forked by bench/documents/index.ts): it reads the corpus
// files named on its command line, then runs one pass over them for every `pass` message and answers with the
// seconds it took. A process per contender keeps each side's heap, GC and JIT its own: in one shared process the
// libraries' garbage from one contender's pass was still being collected while the next contender ran.
//   node [flags] bench/documents/extract-contender.ts <contender> <file>...
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import mammoth from 'mammoth';
import { parse as parseHtml } from 'node-html-parser';
import { boundHeapGrowth } from '../../src/cli/heap.ts';
import { loadConfig } from '../../src/config/index.ts';
import { readsInServiceThread } from '../../src/documents/source.ts';
import { inThreadPdfWorker } from '../../src/documents/extract/pdf-port.ts';
import { assemble, chunkText, detectType, documentMetadata, extractDocument, runExtraction } from '../../src/documents/index.ts';

/** The libraries alone, each called the plain way for the text it yields. */
export const RAW = 'pdfjs-dist+mammoth+exceljs+node-html-parser+iconv-lite';
/**
 * The same, with pdf.js behind the in-thread port ours gives it (src/documents/extract/pdf-port.ts): ours against
 * this one is the pipeline's own cost, without the part of pdf.js's time that the port saves.
 */
export const RAW_OUR_PDF_PORT = 'libraries-with-ai-stack-pdf-port';
/** Our pipeline as deployed: PDF, Office, HTML and e-mail in an extraction process, text formats in this one. */
export const OURS = 'ai-stack';
/** The same pipeline with every format in this process: what the extraction process costs. */
export const OURS_IN_PROCESS = 'ai-stack-in-process';
export const CONTENDERS = [RAW, RAW_OUR_PDF_PORT, OURS_IN_PROCESS, OURS] as const;
/** Contenders that are the libraries alone (plain node, no service settings). */
export const LIBRARIES: readonly string[] = [RAW, RAW_OUR_PDF_PORT];

const pdfjsLib = () => import('pdfjs-dist/legacy/build/pdf.mjs');

async function raw(name: string, bytes: Buffer, ourPdfPort: boolean): Promise<number> {
  if (name.endsWith('.pdf')) {
    const worker = ourPdfPort ? await inThreadPdfWorker(await pdfjsLib()) : undefined;
    const task = (await pdfjsLib()).getDocument({ data: new Uint8Array(bytes), verbosity: 0, ...(worker ? { worker } : {}) });
    const doc = await task.promise;
    let n = 0;
    for (let p = 1; p <= doc.numPages; p++) n += (await (await doc.getPage(p)).getTextContent()).items.length;
    await task.destroy();
    worker?.destroy();
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

/** The extraction process's heap limit as deployed (AI_STACK_EXTRACT_MEMORY_MB, its default unless set). */
const memoryMb = loadConfig(process.env).documents.extractMemoryMb;

async function ours(bytes: Buffer, name: string, isolated: boolean): Promise<number> {
  const type = await detectType(bytes, name);
  const extracted =
    isolated && !readsInServiceThread(type)
      ? // The service reads a stored file into a fresh buffer that it hands over: a copy stands for that read.
        await runExtraction(Buffer.from(bytes), { type, filename: name, timeoutMs: 60_000, memoryMb })
      : await extractDocument(bytes, { type, filename: name });
  const assembled = assemble(extracted.blocks);
  documentMetadata(extracted, assembled.text);
  return chunkText(assembled).length;
}

if (import.meta.url === `file://${process.argv[1]}` && process.send) {
  const [contender, ...paths] = process.argv.slice(2);
  if (!CONTENDERS.includes(contender as (typeof CONTENDERS)[number])) throw new Error(`unknown contender "${contender}"`);
  // Ours runs under the V8 settings `ai-stack start` sets for itself (the launch flags come from the parent).
  if (!LIBRARIES.includes(contender ?? '')) boundHeapGrowth();
  const files = paths.map((path) => ({ name: path.includes('/docx/') ? `docx/${basename(path)}` : basename(path), bytes: readFileSync(path) }));
  const one =
    contender !== undefined && LIBRARIES.includes(contender)
      ? (f: { name: string; bytes: Buffer }) => raw(f.name, f.bytes, contender === RAW_OUR_PDF_PORT)
      : (f: { name: string; bytes: Buffer }) => ours(f.bytes, f.name, contender === OURS);
  process.on('message', (message: { pass?: true; stop?: true }) => {
    if (message.stop) process.exit(0);
    void (async () => {
      const started = performance.now();
      for (const f of files) await one(f);
      process.send?.({ seconds: (performance.now() - started) / 1000 });
    })().catch((error: unknown) => {
      process.send?.({ error: String(error) });
    });
  });
  process.send({ ready: true });
}
