import type ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { UnreadableDocumentError } from './errors.ts';
import { DocxBlockWriter, type DocxDocument } from './docx.ts';
import type { Block, ExtractedDocument, ExtractLimits } from './types.ts';

/** JSZip keeps each entry's declared sizes from the central directory in a private field (documented in its typings). */
interface ZipEntryData {
  _data?: { uncompressedSize?: number; compressedSize?: number };
}

/** Office XML compresses 5–30×; a large entry inflating far beyond that is a bomb, whatever the total. */
const MAX_RATIO = 200;
const RATIO_CHECK_FROM_BYTES = 16 * 1024 * 1024;

/**
 * Opens a DOCX/XLSX/PPTX container reading only its central directory, and refuses decompression bombs
 * before anything is inflated: too many entries, or more declared inflated bytes than the limit. (A file
 * that lies about its sizes still meets the extraction process's memory and time limits.)
 */
export async function openZip(bytes: Buffer, limits: ExtractLimits): Promise<JSZip> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(bytes, { checkCRC32: false });
  } catch (error) {
    throw new UnreadableDocumentError(`the file is not a readable ZIP container (truncated or corrupt): ${(error as Error).message}`, error);
  }
  const entries = Object.values(zip.files);
  if (entries.length > limits.maxZipEntries)
    throw new UnreadableDocumentError(`the document holds ${entries.length} ZIP entries, more than the ${limits.maxZipEntries} allowed`);
  let inflated = 0;
  for (const entry of entries) {
    const data = (entry as unknown as ZipEntryData)._data;
    const size = data?.uncompressedSize ?? 0;
    inflated += size;
    if (size > RATIO_CHECK_FROM_BYTES && size / Math.max(1, data?.compressedSize ?? 0) > MAX_RATIO) {
      throw new UnreadableDocumentError(
        `the document's entry "${entry.name.slice(0, 100)}" inflates ${Math.round(size / Math.max(1, data?.compressedSize ?? 0))}× to ${size} bytes (a decompression bomb)`,
      );
    }
  }
  if (inflated > limits.maxInflatedBytes) {
    throw new UnreadableDocumentError(
      `the document would inflate to ${inflated} bytes, more than the ${limits.maxInflatedBytes} allowed (a decompression bomb?)`,
    );
  }
  return zip;
}

const xmlText = (raw: string): string =>
  raw
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&amp;/g, '&');

function element(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`).exec(xml);
  const value = match?.[1] === undefined ? undefined : xmlText(match[1]).trim();
  return value === '' ? undefined : value;
}

/** Title, author and dates from `docProps/core.xml` (Dublin Core), shared by all three formats. */
export async function coreProperties(zip: JSZip): Promise<Pick<ExtractedDocument, 'title' | 'author' | 'created' | 'modified'>> {
  const xml = await zip.file('docProps/core.xml')?.async('string');
  if (!xml) return {};
  const props = {
    title: element(xml, 'dc:title'),
    author: element(xml, 'dc:creator'),
    created: element(xml, 'dcterms:created'),
    modified: element(xml, 'dcterms:modified'),
  };
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
}

export async function extractDocx(bytes: Buffer, limits: ExtractLimits): Promise<ExtractedDocument> {
  const zip = await openZip(bytes, limits);
  if (!zip.file('word/document.xml')) throw new UnreadableDocumentError('the DOCX has no word/document.xml (not a Word document, or truncated)');
  const props = await coreProperties(zip);
  const writer = new DocxBlockWriter();
  try {
    // Imported on the first DOCX (in the extraction process), not with the module: the main thread re-exports this file.
    const { default: mammoth } = await import('mammoth');
    // mammoth reads the document into its model and hands it to transformDocument; the blocks are made from that
    // model, and mammoth is left an empty document to write, with no style maps to parse (see DocxBlockWriter).
    await mammoth.convertToHtml(
      { buffer: bytes },
      {
        includeDefaultStyleMap: false,
        includeEmbeddedStyleMap: false,
        transformDocument: (document: DocxDocument) => {
          writer.write(document);
          return { ...document, children: [] };
        },
      },
    );
  } catch (error) {
    throw new UnreadableDocumentError(`the DOCX cannot be read: ${(error as Error).message}`, error);
  }
  const title = writer.blocks.find((b) => b.kind === 'heading')?.text;
  return { type: 'docx', blocks: writer.blocks, ...(title ? { title } : {}), ...props, warnings: [] };
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((part) => part.text).join('');
    if ('text' in value && typeof value.text === 'string') return value.text;
    if ('result' in value) return cellText(value.result);
    if ('error' in value) return String(value.error);
    return '';
  }
  return String(value);
}

export async function extractXlsx(bytes: Buffer, limits: ExtractLimits): Promise<ExtractedDocument> {
  const zip = await openZip(bytes, limits);
  const props = await coreProperties(zip);
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (error) {
    throw new UnreadableDocumentError(`the XLSX cannot be read: ${(error as Error).message}`, error);
  }
  const blocks: Block[] = [];
  workbook.eachSheet((sheet) => {
    blocks.push({ kind: 'heading', level: 2, text: sheet.name });
    const rows: string[] = [];
    sheet.eachRow({ includeEmpty: false }, (row) => {
      const values = Array.isArray(row.values) ? row.values.slice(1) : [];
      const line = values.map((v) => cellText(v).replace(/\s+/g, ' ').trim()).join(' | ');
      if (line.replace(/[|\s]/g, '') !== '') rows.push(line);
    });
    if (rows.length > 0) blocks.push({ kind: 'table', text: rows.join('\n') });
  });
  return { type: 'xlsx', blocks, ...props, outline: blocks.filter((b) => b.kind === 'heading').map((b) => ({ level: 2, title: b.text })), warnings: [] };
}

export async function extractPptx(bytes: Buffer, limits: ExtractLimits): Promise<ExtractedDocument> {
  const zip = await openZip(bytes, limits);
  const props = await coreProperties(zip);
  const slides = Object.keys(zip.files)
    .map((name) => ({ name, n: Number(/^ppt\/slides\/slide(\d+)\.xml$/.exec(name)?.[1]) }))
    .filter((s) => Number.isInteger(s.n))
    .sort((a, b) => a.n - b.n);
  if (slides.length === 0) throw new UnreadableDocumentError('the PPTX has no slides (not a presentation, or truncated)');
  const blocks: Block[] = [];
  const outline: NonNullable<ExtractedDocument['outline']> = [];
  for (const [index, slide] of slides.entries()) {
    const xml = (await zip.file(slide.name)?.async('string')) ?? '';
    const page = index + 1;
    // Each <p:sp> shape holds paragraphs <a:p> of runs <a:t>; a title placeholder becomes the slide's heading.
    for (const shape of xml.match(/<p:sp>[\s\S]*?<\/p:sp>/g) ?? []) {
      const isTitle = /<p:ph[^>]*type="(title|ctrTitle)"/.test(shape);
      const paragraphs = (shape.match(/<a:p>[\s\S]*?<\/a:p>|<a:p\s[\s\S]*?<\/a:p>/g) ?? [])
        .map((p) =>
          (p.match(/<a:t>([^<]*)<\/a:t>/g) ?? [])
            .map((t) => xmlText(t.slice(5, -6)))
            .join('')
            .trim(),
        )
        .filter((t) => t !== '');
      if (paragraphs.length === 0) continue;
      if (isTitle) {
        const title = paragraphs.join(' ');
        blocks.push({ kind: 'heading', level: 2, text: title, page });
        outline.push({ level: 1, title, page });
      } else blocks.push({ kind: 'paragraph', text: paragraphs.join('\n'), page });
    }
  }
  return { type: 'pptx', blocks, pageCount: slides.length, ...props, outline, warnings: [] };
}
