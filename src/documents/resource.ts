import type { Kysely } from 'kysely';
import { Type, type Static } from 'typebox';
import type { DatabaseSchema } from '../db/schema.ts';
import { ValidationError } from '../shared/errors.ts';
import { thumbnailLinks, thumbnailRecordOf } from './thumbnail.ts';
import { createdBetween, patchOf, stringEnum, tableRepository, versionedItem, type RepositoryOptions, type ResourceSpec } from '../resources/index.ts';

/** Metadata is free-form JSON, but bounded: it lives in every row read and every search hit. */
const METADATA_MAX_BYTES = 16 * 1024;
/** `pending`: a metadata-only record (JSON create, nothing to process); uploads go uploaded → processing → ready | failed. */
export const DOCUMENT_STATUSES = ['pending', 'uploaded', 'processing', 'ready', 'failed'] as const;
const STATUSES = DOCUMENT_STATUSES;

const fields = {
  title: Type.String({ minLength: 1, maxLength: 500 }),
  filename: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^/\\\\\\u0000]+$', description: 'Original file name, without directories' }),
  media_type: Type.String({ pattern: '^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$', maxLength: 255 }),
  size_bytes: Type.Integer({ minimum: 0, maximum: 1e13 }),
  sha256: Type.String({ pattern: '^[a-f0-9]{64}$' }),
  status: stringEnum(STATUSES),
  metadata: Type.Record(Type.String({ maxLength: 200 }), Type.Unknown()),
};

export const DocumentCreate = Type.Object(
  {
    title: fields.title,
    filename: fields.filename,
    media_type: fields.media_type,
    size_bytes: fields.size_bytes,
    sha256: fields.sha256,
    status: Type.Optional(fields.status),
    metadata: Type.Optional(fields.metadata),
  },
  { additionalProperties: false },
);
export const DocumentPatch = patchOf(fields, ['filename', 'media_type', 'size_bytes', 'sha256']);
const nullableString = (description: string) => Type.Union([Type.String(), Type.Null()], { description });
/** Set by the pipeline, never by a client. */
const pipelineFields = {
  detected_type: nullableString('What the bytes are, detected from their content: pdf, docx, xlsx, pptx, html, markdown, text, csv, eml, image'),
  error_step: nullableString('The processing step that failed (detect, extract, metadata, chunk, thumbnail, vectorize)'),
  error: nullableString('Why it failed, readable'),
  warnings: Type.Array(Type.String(), { description: 'Readable warnings, e.g. "no text layer" for a scanned PDF' }),
  task_id: nullableString('Id of the newest processing task (GET /admin/tasks/{id})'),
  ready_at: nullableString('When processing last succeeded'),
  embedding_model: nullableString('model@dimension of the stored vectors'),
  has_content: Type.Boolean({ description: 'Whether the original bytes are stored (uploads) or this is a metadata-only record' }),
  thumbnail: Type.Union(
    [
      Type.Object({
        width: Type.Integer({ description: 'Width of the largest variant, in pixels (with height: the aspect ratio to reserve)' }),
        height: Type.Integer(),
        src: Type.String({ description: 'The smallest WebP variant, for an <img src>' }),
        sources: Type.Array(
          Type.Object({
            type: Type.String({ description: 'image/avif or image/webp' }),
            srcset: Type.String({ description: 'For <source srcset>: URL and width of each variant' }),
          }),
        ),
      }),
      Type.Null(),
    ],
    { description: "AVIF/WebP thumbnails of an image or a PDF's first page; URLs carry a content hash (cache them for good)" },
  ),
};
export const DocumentItem = versionedItem({ ...fields, ...pipelineFields });
export type DocumentCreate = Static<typeof DocumentCreate>;
export type DocumentPatch = Static<typeof DocumentPatch>;
export type DocumentItem = Static<typeof DocumentItem>;

function metadataText(metadata: Record<string, unknown> | undefined): string {
  const text = JSON.stringify(metadata ?? {});
  if (Buffer.byteLength(text) > METADATA_MAX_BYTES) {
    throw new ValidationError(`metadata is larger than ${METADATA_MAX_BYTES} bytes`, [
      { field: 'body/metadata', message: `must be at most ${METADATA_MAX_BYTES} bytes as JSON` },
    ]);
  }
  return text;
}

/** A documents row (any columns) → the API item. */
export function documentFromRow(row: Record<string, unknown>): DocumentItem {
  const { blob_key: blobKey, deleted_at: _deleted, processing_started_at: _started, ...rest } = row;
  const metadata = JSON.parse(String(row.metadata)) as Record<string, unknown>;
  const thumbnail = thumbnailRecordOf(metadata);
  return {
    ...rest,
    metadata,
    thumbnail: thumbnail ? thumbnailLinks(Number(row.id), thumbnail) : null,
    warnings: JSON.parse(typeof row.warnings === 'string' ? row.warnings : '[]') as string[],
    has_content: blobKey !== null && blobKey !== undefined,
  } as DocumentItem;
}

export function documentResource(db: Kysely<DatabaseSchema>, options: RepositoryOptions = {}): ResourceSpec<DocumentCreate, DocumentPatch, DocumentItem> {
  return {
    path: '/documents',
    name: 'Document',
    createSchema: DocumentCreate,
    patchSchema: DocumentPatch,
    itemSchema: DocumentItem,
    repository: tableRepository(
      db,
      {
        table: 'documents',
        toInsert: (d) => ({ ...d, status: d.status ?? 'pending', metadata: metadataText(d.metadata) }),
        toUpdate: (p) => (p.metadata === undefined ? { ...p } : { ...p, metadata: metadataText(p.metadata) }),
        fromRow: documentFromRow,
        hiddenWhenSet: 'deleted_at',
      },
      options,
    ),
    omit: ['create', 'delete'],
    sortColumns: { id: 'id', title: 'title', created_at: 'created_at', size_bytes: 'size_bytes' },
    filters: {
      sha256: { column: 'sha256', op: '=', schema: fields.sha256 },
      status: { column: 'status', op: '=', schema: fields.status },
      ...createdBetween(),
    },
  };
}
