import { detectType } from './detect.ts';
import { extractEml } from './eml.ts';
import { htmlToBlocks } from './html.ts';
import { decodeText } from './decode.ts';
import { extractDocx, extractPptx, extractXlsx } from './ooxml.ts';
import { extractPdf } from './pdf.ts';
import { extractCsv, extractMarkdown, extractText } from './text.ts';
import { DEFAULT_EXTRACT_LIMITS, type DocumentType, type ExtractedDocument, type ExtractLimits } from './types.ts';

function extractHtml(bytes: Buffer): ExtractedDocument {
  const { text, encoding } = decodeText(bytes);
  return { type: 'html', ...htmlToBlocks(text), encoding, warnings: [] };
}

/** Reads `bytes` as `type` (detected from the bytes when omitted). Runs in the caller's thread: see runExtraction for isolation. */
export async function extractDocument(bytes: Buffer, options: { type?: DocumentType; filename?: string; limits?: ExtractLimits } = {}): Promise<ExtractedDocument> {
  const limits = options.limits ?? DEFAULT_EXTRACT_LIMITS;
  const type = options.type ?? (await detectType(bytes, options.filename));
  switch (type) {
    case 'pdf': return extractPdf(bytes, limits);
    case 'docx': return extractDocx(bytes, limits);
    case 'xlsx': return extractXlsx(bytes, limits);
    case 'pptx': return extractPptx(bytes, limits);
    case 'html': return extractHtml(bytes);
    case 'markdown': return extractMarkdown(bytes);
    case 'csv': return extractCsv(bytes);
    case 'eml': return extractEml(bytes);
    case 'text': return extractText(bytes);
  }
}
