import type { Kysely } from 'kysely';
import { Type, type Static } from 'typebox';
import type { DatabaseSchema } from '../db/schema.ts';
import { ValidationError } from '../shared/errors.ts';
import { createdBetween, patchOf, stringEnum, tableRepository, versionedItem, type RepositoryOptions, type ResourceSpec } from '../resources/index.ts';

/** Metadata is free-form JSON, but bounded: it lives in every row read and every search hit. */
const METADATA_MAX_BYTES = 16 * 1024;
const STATUSES = ['pending', 'processing', 'ready', 'failed'] as const;

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
export const DocumentItem = versionedItem(fields);
export type DocumentCreate = Static<typeof DocumentCreate>;
export type DocumentPatch = Static<typeof DocumentPatch>;
export type DocumentItem = Static<typeof DocumentItem>;

function metadataText(metadata: Record<string, unknown> | undefined): string {
  const text = JSON.stringify(metadata ?? {});
  if (Buffer.byteLength(text) > METADATA_MAX_BYTES) {
    throw new ValidationError(`metadata is larger than ${METADATA_MAX_BYTES} bytes`, [{ field: 'body/metadata', message: `must be at most ${METADATA_MAX_BYTES} bytes as JSON` }]);
  }
  return text;
}

export function documentResource(db: Kysely<DatabaseSchema>, options: RepositoryOptions = {}): ResourceSpec<DocumentCreate, DocumentPatch, DocumentItem> {
  return {
    path: '/documents',
    name: 'Document',
    createSchema: DocumentCreate,
    patchSchema: DocumentPatch,
    itemSchema: DocumentItem,
    repository: tableRepository(db, {
      table: 'documents',
      toInsert: (d) => ({ ...d, status: d.status ?? 'pending', metadata: metadataText(d.metadata) }),
      toUpdate: (p) => (p.metadata === undefined ? { ...p } : { ...p, metadata: metadataText(p.metadata) }),
      fromRow: (row) => ({ ...row, metadata: JSON.parse(String(row.metadata)) as Record<string, unknown> }) as DocumentItem,
    }, options),
    sortColumns: { id: 'id', title: 'title', created_at: 'created_at', size_bytes: 'size_bytes' },
    filters: { sha256: { column: 'sha256', op: '=', schema: fields.sha256 }, ...createdBetween() },
  };
}
