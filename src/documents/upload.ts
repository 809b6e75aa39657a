import type { Readable } from 'node:stream';
import { contentKey, type BlobStore } from '../blobs/index.ts';
import { AiStackError } from '../shared/errors.ts';
import { detectFile } from './extract/detect.ts';
import { UnreadableDocumentError } from './extract/errors.ts';
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
    const { type, mediaType } = await detectFile(await staged.head(HEAD_BYTES), filename);
    const existing = await store.findBySha(staged.sha256);
    if (existing) {
      await staged.discard();
      return { row: existing, created: false };
    }
    const key = contentKey(staged.sha256);
    await staged.commit(key);
    return await store.insertUpload({
      title: (input.title?.trim() || filename).slice(0, 500),
      filename,
      media_type: mediaType,
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

const MAX_TITLE = 500;
const MAX_TAGS = 50;
const MAX_TAG = 100;
// C0 and C1 control characters, DEL, and the bidi overrides that make a shown title lie about itself.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * The optional `title` and `tags` form fields of an upload, validated as they arrive (before or after the
 * file part): a title of 1–500 characters, tags comma-separated and/or repeated, at most 50 of 1–100
 * characters each, no control characters in either. Unknown fields are refused, so a typo is not silently lost.
 */
export class UploadFields {
  title: string | undefined;
  tags: string[] | undefined;

  add(name: string, value: string): void {
    if (name === 'title') {
      if (this.title !== undefined) throw new UploadError('title: send it once');
      const title = value.normalize('NFC').trim();
      if (title === '' || [...title].length > MAX_TITLE) throw new UploadError(`title must be 1 to ${MAX_TITLE} characters`);
      if (CONTROL.test(title)) throw new UploadError('title must not contain control characters');
      this.title = title;
    } else if (name === 'tags') {
      const tags = value
        .split(',')
        .map((t) => t.normalize('NFC').trim())
        .filter(Boolean);
      if (tags.some((t) => CONTROL.test(t))) throw new UploadError('tags must not contain control characters');
      if (tags.some((t) => [...t].length > MAX_TAG)) throw new UploadError(`tags: each tag is at most ${MAX_TAG} characters`);
      const all = [...new Set([...(this.tags ?? []), ...tags])];
      if (all.length > MAX_TAGS) throw new UploadError(`tags: at most ${MAX_TAGS} tags`);
      this.tags = all;
    } else {
      throw new UploadError(`unknown form field "${name.slice(0, 50)}": send "file", and optionally "title" and "tags"`);
    }
  }
}
