import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type * as PdfJs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { UnreadableDocumentError } from './errors.ts';
import { inThreadPdfWorker } from './pdf-port.ts';
import type { Block, ExtractedDocument, ExtractLimits, OutlineEntry } from './types.ts';

// The legacy build is the one that runs in Node (the modern one needs DOMMatrix and other browser globals).
// Loaded on the first PDF, in the extraction process: the service that only re-exports this never pays for it.
let pdfjsLoading: Promise<typeof PdfJs> | undefined;
const pdfjsLib = () => (pdfjsLoading ??= import('pdfjs-dist/legacy/build/pdf.mjs'));
const packageDir = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
const assets = (name: string) => `${join(packageDir, name)}/`;

interface PdfTextItem {
  str: string;
  hasEOL: boolean;
  transform: number[];
  height: number;
}

const CJK = /[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/;

/** Joins two lines of one paragraph: no space between CJK characters, de-hyphenated English, a space otherwise. */
function joinLines(left: string, right: string): string {
  if (left === '') return right;
  const last = left.at(-1) ?? '';
  const first = right[0] ?? '';
  if (CJK.test(last) || CJK.test(first)) return left + right;
  if (last === '-' && /[a-z]/.test(first) && /[a-z]-$/.test(left)) return left.slice(0, -1) + right;
  return `${left} ${right}`;
}

/** pdf.js text items → lines → paragraphs (by vertical gap) and headings (by font size), all on `page`. */
function pageBlocks(items: PdfTextItem[], page: number, bodySize: number): Block[] {
  const lines: { text: string; y: number; size: number }[] = [];
  let current: { text: string; y: number; size: number } | undefined;
  for (const item of items) {
    const y = item.transform[5] ?? 0;
    const size = item.height || Math.abs(item.transform[3] ?? 0);
    if (!current || Math.abs(current.y - y) > Math.max(size, current.size) * 0.5) {
      if (current) lines.push(current);
      current = { text: item.str, y, size };
    } else {
      current.text += item.str;
      current.size = Math.max(current.size, size);
    }
    if (item.hasEOL && current) {
      lines.push(current);
      current = undefined;
    }
  }
  if (current) lines.push(current);
  const blocks: Block[] = [];
  let paragraph = '';
  let previous: { y: number; size: number } | undefined;
  const flush = () => {
    if (paragraph.trim() !== '') blocks.push({ kind: 'paragraph', text: paragraph.trim(), page });
    paragraph = '';
  };
  for (const line of lines) {
    const text = line.text.replace(/\s+/g, ' ').trim();
    if (text === '') continue;
    const isHeading = bodySize > 0 && line.size >= bodySize * 1.3 && text.length <= 200;
    const gap = previous ? Math.abs(previous.y - line.y) : 0;
    if (isHeading) {
      flush();
      blocks.push({ kind: 'heading', level: line.size >= bodySize * 1.8 ? 1 : 2, text, page });
    } else {
      if (previous && gap > Math.max(line.size, previous.size) * 1.8) flush();
      paragraph = joinLines(paragraph, text);
    }
    previous = line;
  }
  flush();
  return blocks;
}

function pdfDate(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const m = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(raw);
  if (!m) return undefined;
  const zone = !m[7] || m[7] === 'Z' ? 'Z' : `${m[7].slice(0, 3)}:${m[7].replace(/'/g, '').slice(3, 5)}`;
  const date = new Date(`${m[1]}-${m[2] ?? '01'}-${m[3] ?? '01'}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

interface PdfOutlineNode {
  title: string;
  items: PdfOutlineNode[];
}

function flattenOutline(nodes: PdfOutlineNode[] | null, level = 1, out: OutlineEntry[] = []): OutlineEntry[] {
  for (const node of nodes ?? []) {
    if (out.length >= 1000 || level > 6) break;
    out.push({ level, title: node.title });
    flattenOutline(node.items, level + 1, out);
  }
  return out;
}

/** Text of every page with its page number, headings by font size, document info and outline (pdf.js). */
export async function extractPdf(bytes: Buffer, limits: ExtractLimits): Promise<ExtractedDocument> {
  const pdfjs = await pdfjsLib();
  const worker = await inThreadPdfWorker(pdfjs);
  const task = pdfjs.getDocument({
    worker,
    // pdf.js transfers (detaches) the buffer it is given: hand it a copy so the caller's bytes stay readable.
    data: new Uint8Array(bytes),
    cMapUrl: assets('cmaps'),
    cMapPacked: true,
    // No standardFontDataUrl: the substitute programs of the 14 standard fonts serve rendering only. Text of a
    // non-embedded standard font comes from its encoding and built-in metrics; every text item's string, position,
    // size and line end were the same with and without them on the test corpus, while reading and parsing them
    // again for each document took 10 of the 200-page PDF's 85 ms (pdf.js caches fonts per document only).
    wasmUrl: assets('wasm'),
    iccUrl: assets('iccs'),
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
  });
  let doc;
  try {
    doc = await task.promise;
  } catch (error) {
    await task.destroy().catch(() => undefined);
    worker.destroy();
    throw new UnreadableDocumentError(`the PDF cannot be read (${(error as Error).name}: ${(error as Error).message})`, error);
  }
  try {
    if (doc.numPages > limits.maxPages) throw new UnreadableDocumentError(`the PDF has ${doc.numPages} pages, more than the ${limits.maxPages} allowed`);
    const pages: PdfTextItem[][] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      pages.push(content.items.filter((item) => 'str' in item));
      page.cleanup();
    }
    // The body font size is the most common one: larger lines are headings.
    const sizes = new Map<number, number>();
    for (const item of pages.flat()) if (item.str.trim()) sizes.set(Math.round(item.height), (sizes.get(Math.round(item.height)) ?? 0) + item.str.length);
    const bodySize = [...sizes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
    const blocks = pages.flatMap((items, i) => pageBlocks(items, i + 1, bodySize));
    const warnings: string[] = [];
    const chars = blocks.reduce((sum, b) => sum + b.text.length, 0);
    if (chars === 0) warnings.push(`no text layer: none of the ${doc.numPages} pages has extractable text (a scanned or image-only PDF; OCR is not available)`);
    else {
      const empty = pages.filter((items) => !items.some((item) => item.str.trim() !== '')).length;
      if (empty > 0) warnings.push(`${empty} of ${doc.numPages} pages have no text layer`);
    }
    const meta = await doc.getMetadata().catch(() => undefined);
    const info = (meta?.info ?? {}) as Record<string, unknown>;
    const title = typeof info.Title === 'string' && info.Title.trim() ? info.Title.trim() : undefined;
    const author = typeof info.Author === 'string' && info.Author.trim() ? info.Author.trim() : undefined;
    const created = pdfDate(info.CreationDate);
    const modified = pdfDate(info.ModDate);
    const declared = flattenOutline(await doc.getOutline().catch(() => null));
    const outline =
      declared.length > 0
        ? declared
        : blocks.filter((b) => b.kind === 'heading').map((b) => ({ level: b.level ?? 1, title: b.text, ...(b.page ? { page: b.page } : {}) }));
    return {
      type: 'pdf',
      blocks,
      pageCount: doc.numPages,
      ...(title ? { title } : {}),
      ...(author ? { author } : {}),
      ...(created ? { created } : {}),
      ...(modified ? { modified } : {}),
      outline,
      warnings,
    };
  } finally {
    await task.destroy();
    worker.destroy();
  }
}
