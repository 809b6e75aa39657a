import { fileTypeFromBuffer } from 'file-type';
import { decodeText, looksLikeText } from './decode.ts';
import { UnsupportedDocumentError, UnreadableDocumentError } from './errors.ts';
import { sniffCommonType } from './sniff.ts';
import { MEDIA_TYPES, type DocumentType } from './types.ts';

/** Every type but `image`: what the bytes are when they are not a picture. */
type ReadableType = Exclude<DocumentType, 'image'>;

const OOXML: Record<string, ReadableType> = { docx: 'docx', xlsx: 'xlsx', pptx: 'pptx' };
/** Raster images sharp decodes with its bundled libvips (file-type's extension names). */
const IMAGES = new Set(['jpg', 'png', 'webp', 'gif', 'avif', 'tif']);
const TEXT_HINTS: Record<string, ReadableType> = {
  md: 'markdown',
  markdown: 'markdown',
  csv: 'csv',
  tsv: 'csv',
  txt: 'text',
  html: 'html',
  htm: 'html',
  eml: 'eml',
};

function extensionOf(filename: string | undefined): string {
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(filename ?? '');
  return match?.[1]?.toLowerCase() ?? '';
}

function looksLikeHtml(head: string): boolean {
  return (
    /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i.test(head) ||
    /<(p|div|h[1-6]|table|ul|article)[\s>][\s\S]*<\/\1>/i.test(head.slice(0, 20_000))
  );
}

function looksLikeEmail(head: string): boolean {
  const headerBlock = head.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const names = new Set([...headerBlock.matchAll(/^([A-Za-z-]+):/gm)].map((m) => (m[1] ?? '').toLowerCase()));
  const known = ['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'received', 'return-path', 'content-type'];
  return known.filter((name) => names.has(name)).length >= 3 && (names.has('from') || names.has('received'));
}

function looksLikeCsv(head: string): boolean {
  const lines = head
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(0, 20);
  if (lines.length < 2) return false;
  for (const delimiter of [',', '\t', ';']) {
    const counts = lines.map((line) => line.split(delimiter).length - 1);
    const first = counts[0] ?? 0;
    if (first >= 1 && counts.filter((count) => count === first).length >= lines.length * 0.8) return true;
  }
  return false;
}

function looksLikeMarkdown(head: string): boolean {
  const marks = [/^#{1,6}\s+\S/m, /^\s*[-*+]\s+\S/m, /^\s*\d+\.\s+\S/m, /\[[^\]]+\]\([^)]+\)/, /^```/m, /^\|.*\|\s*$/m, /\*\*[^*]+\*\*/];
  return marks.filter((mark) => mark.test(head)).length >= 2 || /^#{1,6}\s+\S/m.test(head);
}

/**
 * The document type from the bytes: magic numbers (PDF and Office files first by sniff.ts, the same answer
 * file-type gives, faster; then file-type, which also tells DOCX/XLSX/PPTX apart by their ZIP entries), then
 * text sniffing. The file name only breaks ties between text formats
 * (a `.md` file without any Markdown syntax is still Markdown); it never overrides the bytes.
 */
export async function detectType(head: Buffer, filename?: string): Promise<DocumentType> {
  return (await detectFile(head, filename)).type;
}

/** The document type and the media type to store and serve the file with (an image's own, e.g. image/png). */
export async function detectFile(head: Buffer, filename?: string): Promise<{ type: DocumentType; mediaType: string }> {
  if (head.length === 0) throw new UnreadableDocumentError('the file is empty (0 bytes)');
  const common = sniffCommonType(head);
  if (common) return { type: common, mediaType: MEDIA_TYPES[common] };
  const found = await fileTypeFromBuffer(head);
  if (found && IMAGES.has(found.ext)) return { type: 'image', mediaType: found.mime };
  const type = detectDocument(head, filename, found);
  return { type, mediaType: MEDIA_TYPES[type] };
}

function detectDocument(head: Buffer, filename: string | undefined, found: Awaited<ReturnType<typeof fileTypeFromBuffer>>): ReadableType {
  if (found) {
    if (found.ext === 'pdf') return 'pdf';
    const ooxml = OOXML[found.ext];
    if (ooxml) return ooxml;
    if (found.ext === 'zip') throw new UnsupportedDocumentError('the file is a ZIP archive but not a DOCX, XLSX or PPTX document');
    if (found.ext === 'cfb') throw new UnsupportedDocumentError('legacy Office files (.doc/.xls/.ppt) are not supported; save as DOCX/XLSX/PPTX');
    throw new UnsupportedDocumentError(`the file is ${found.mime} (detected from its content), which cannot be processed`);
  }
  if (!looksLikeText(head)) throw new UnsupportedDocumentError('the file is binary data of an unknown type');
  const text = decodeText(head.subarray(0, 64 * 1024)).text;
  if (looksLikeEmail(text)) return 'eml';
  if (looksLikeHtml(text)) return 'html';
  const hint = TEXT_HINTS[extensionOf(filename)];
  if (hint === 'markdown' || hint === 'text') return hint;
  if (looksLikeCsv(text)) return 'csv';
  if (looksLikeMarkdown(text)) return 'markdown';
  return 'text';
}
