import type { Readable } from 'node:stream';
import { contentKey, type BlobStore } from '../blobs/index.ts';
import { AiStackError } from '../shared/errors.ts';
import { detectType } from './extract/detect.ts';
import { UnreadableDocumentError } from './extract/errors.ts';
import { MEDIA_TYPES } from './extract/types.ts';
import type { DocumentRow, DocumentStore } from './store.ts';

const HEAD_BYTES = 256 * 1024;
const MAX_FILENAME = 255;

/**
 * A client's file name made safe to store and show: the last path segment only (no `../`, no directories
 * from either separator), control characters and NUL removed, at most 255 characters with the extension
 * kept. Never used as a path: blobs are stored by content hash.
 */
export function safeFilename(raw: string | undefined): string {
  const last = (raw ?? '').split(/[/\\]/).pop() ?? '';
  let name = last
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .normalize('NFC')
    .trim()
    .replace(/^\.+/, '');
  if (name.length > MAX_FILENAME) {
    const ext = /\.[A-Za-z0-9]{1,10}$/.exec(name)?.[0] ?? '';
    name = [...name.slice(0, name.length - ext.length)].slice(0, MAX_FILENAME - ext.length).join('') + ext;
  }
  return name === '' ? 'upload' : name;
}

export interface UploadInput {
  stream: Readable;
  filename: string | undefined;
  title?: string | undefined;
  tags?: string[] | undefined;
}

export interface UploadOutcome {
  row: DocumentRow;
  created: boolean;
}

/**
 * Streams an upload into the blob store (hashed and size-checked on the way), checks what it is from its
 * first bytes, and records it: same content → the existing document. Whatever fails, nothing half-made
 * stays behind (the staged bytes are discarded; the blob is committed before the row that points at it).
 */
export async function acceptUpload(blobs: BlobStore, store: DocumentStore, input: UploadInput, maxBytes: number): Promise<UploadOutcome> {
  const staged = await blobs.stage(input.stream, { maxBytes });
  try {
    if (staged.size === 0) throw new UnreadableDocumentError('the file is empty (0 bytes)');
    const filename = safeFilename(input.filename);
    const type = await detectType(await staged.head(HEAD_BYTES), filename);
    const existing = await store.findBySha(staged.sha256);
    if (existing) {
      await staged.discard();
      return { row: existing, created: false };
    }
    const key = contentKey(staged.sha256);
    await staged.commit(key);
    const title = input.title?.trim() || filename;
    return await store.insertUpload({
      title: title.slice(0, 500),
      filename,
      media_type: MEDIA_TYPES[type],
      size_bytes: staged.size,
      sha256: staged.sha256,
      blob_key: key,
      detected_type: type,
      metadata: input.tags && input.tags.length > 0 ? { tags: input.tags } : {},
    });
  } catch (error) {
    await staged.discard();
    throw error;
  }
}

export class UploadError extends AiStackError {
  constructor(message: string, status = 400, code = 'invalid_upload') {
    super(message, { code, status });
  }
}
