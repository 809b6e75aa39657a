import { detectType } from './detect.ts';
import { decodeText } from './decode.ts';
import { extractCsv, extractMarkdown, extractText } from './text.ts';
import { DEFAULT_EXTRACT_LIMITS, IMAGE_WARNING, type DocumentType, type ExtractedDocument, type ExtractLimits } from './types.ts';

async function extractHtml(bytes: Buffer): Promise<ExtractedDocument> {
  const { htmlToBlocks } = await import('./html.ts');
  const { text, encoding } = decodeText(bytes);
  return { type: 'html', ...htmlToBlocks(text), encoding, warnings: [] };
}

// The PDF, Office, HTML and e-mail libraries are imported when a file needs them: the service process
// (which streams text formats itself and sends the rest to an extraction process) never loads them.
/** Reads `bytes` as `type` (detected from the bytes when omitted). Runs in the caller's thread: see runExtraction for isolation. */
export async function extractDocument(
  bytes: Buffer,
  options: { type?: DocumentType; filename?: string; limits?: ExtractLimits } = {},
): Promise<ExtractedDocument> {
  const limits = options.limits ?? DEFAULT_EXTRACT_LIMITS;
  const type = options.type ?? (await detectType(bytes, options.filename));
  switch (type) {
    case 'pdf':
      return (await import('./pdf.ts')).extractPdf(bytes, limits);
    case 'docx':
      return (await import('./ooxml.ts')).extractDocx(bytes, limits);
    case 'xlsx':
      return (await import('./ooxml.ts')).extractXlsx(bytes, limits);
    case 'pptx':
      return (await import('./ooxml.ts')).extractPptx(bytes, limits);
    case 'html':
      return extractHtml(bytes);
    case 'markdown':
      return extractMarkdown(bytes);
    case 'csv':
      return extractCsv(bytes);
    case 'eml':
      return (await import('./eml.ts')).extractEml(bytes);
    case 'text':
      return extractText(bytes);
    case 'image':
      return { type: 'image', blocks: [], warnings: [IMAGE_WARNING] };
  }
}
