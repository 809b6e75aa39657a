/** What the pipeline can read, decided from the bytes. */
export const DOCUMENT_TYPES = ['pdf', 'docx', 'xlsx', 'pptx', 'html', 'markdown', 'text', 'csv', 'eml', 'image'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** Media type of each type; an image keeps the one detected from its bytes (image/png, image/jpeg…). */
export const MEDIA_TYPES: Record<Exclude<DocumentType, 'image'>, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  html: 'text/html',
  markdown: 'text/markdown',
  text: 'text/plain',
  csv: 'text/csv',
  eml: 'message/rfc822',
};

/** One structural unit of extracted text; chunking keeps these together where it can. */
export interface Block {
  kind: 'heading' | 'paragraph' | 'list' | 'table' | 'code';
  text: string;
  /** Heading level 1..6. */
  level?: number;
  /** 1-based page (PDF) or slide (PPTX). */
  page?: number;
  /** Joined to the previous block by a newline, not a blank line: the next rows of a table read in parts. */
  continues?: boolean;
}

/** An image has no text layer to read: it is kept for its thumbnail and its metadata. */
export const IMAGE_WARNING = 'an image: it has no text to extract (OCR is not available)';

export interface OutlineEntry {
  level: number;
  title: string;
  page?: number;
}

export interface ExtractedDocument {
  type: DocumentType;
  blocks: Block[];
  pageCount?: number;
  title?: string;
  author?: string;
  /** ISO-8601, from the file's own metadata. */
  created?: string;
  modified?: string;
  outline?: OutlineEntry[];
  /** Text encoding the bytes were decoded from (text formats). */
  encoding?: string;
  warnings: string[];
}

/** Bounds that keep a hostile file from costing more than a normal one. */
export interface ExtractLimits {
  maxPages: number;
  /** ZIP containers (DOCX/XLSX/PPTX): most entries and most declared inflated bytes. */
  maxZipEntries: number;
  maxInflatedBytes: number;
  /** Most characters of extracted text kept. */
  maxTextChars: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = {
  maxPages: 5000,
  maxZipEntries: 10_000,
  maxInflatedBytes: 512 * 1024 * 1024,
  maxTextChars: 50_000_000,
};
