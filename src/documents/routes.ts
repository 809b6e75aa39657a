import multipart from '@fastify/multipart';
import { create as contentDisposition } from 'content-disposition';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { BlobTooLargeError, type BlobStore, type ByteRange } from '../blobs/index.ts';
import { registerResource, resourceRouteContext, resourceTag, type ResourceRouteOptions } from '../resources/index.ts';
import { AiStackError, ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import type { TaskSystem } from '../tasks/index.ts';
import { textKey, type DocumentPipeline } from './pipeline.ts';
import { DocumentCreate, DocumentItem, documentFromRow, documentResource } from './resource.ts';
import type { DocumentRow, DocumentStore } from './store.ts';
import type { DocumentTasks } from './tasks.ts';
import { openThumbnail, thumbnailRecordOf } from './thumbnail.ts';
import { acceptUpload, UploadError, UploadFields } from './upload.ts';

export interface DocumentRouteDeps {
  store: DocumentStore;
  blobs: BlobStore;
  pipeline: DocumentPipeline;
  tasks: DocumentTasks;
  system: TaskSystem;
  uploadMaxBytes: number;
}

const tags = ['Document'];
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }, { additionalProperties: false });
const TaskRef = Type.Union([Type.Object({ id: Type.String(), status_url: Type.String() }), Type.Null()]);
const UploadReply = Type.Object({ document: DocumentItem, task: TaskRef });
const ChunkItem = Type.Object({
  id: Type.Integer(),
  document_id: Type.Integer(),
  ordinal: Type.Integer(),
  text: Type.String(),
  page: Type.Union([Type.Integer(), Type.Null()]),
  start_offset: Type.Integer(),
  end_offset: Type.Integer(),
  section: Type.Union([Type.String(), Type.Null()]),
  token_count: Type.Integer(),
});
const ThumbnailParams = Type.Object(
  {
    id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
    name: Type.String({ pattern: '^[a-f0-9]{16}-[0-9]{1,5}\\.(avif|webp)$', description: "{hash}-{width}.{avif|webp}, as listed in the item's `thumbnail`" }),
  },
  { additionalProperties: false },
);
const checkCreate = Compile(DocumentCreate);
const MAX_FIELD_BYTES = 4096;

class RangeNotSatisfiableError extends AiStackError {
  constructor(size: number) {
    super(`the range is outside the ${size} bytes of the content`, { code: 'range_not_satisfiable', status: 416 });
  }
}

function taskRef(id: string | null): { id: string; status_url: string } | null {
  return id ? { id, status_url: `/admin/tasks/jobs/${encodeURIComponent(id)}` } : null;
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n`; undefined (send everything) for several ranges or another unit. */
function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) throw new RangeNotSatisfiableError(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) throw new RangeNotSatisfiableError(size);
  return { start, end };
}

/** Documents: multipart upload, content download, text, chunks, metadata, similar chunks, reprocess, soft delete. */
export function documentRoutes(deps: DocumentRouteDeps, options: ResourceRouteOptions = {}) {
  const context = resourceRouteContext(options);
  const ownTag = resourceTag('/documents');
  const invalidates = () => [ownTag];
  const { store, blobs, system } = deps;

  async function live(id: number): Promise<DocumentRow> {
    const row = await store.get(id);
    if (!row) throw new NotFoundError(`Document ${id}`);
    return row;
  }

  async function enqueue(row: DocumentRow): Promise<string | null> {
    try {
      const handle = await deps.tasks.processUpload(system).delay({ documentId: row.id, ...(row.blob_key ? { filePath: row.blob_key } : {}) });
      await store.setTask(row.id, handle.id);
      return handle.id;
    } catch {
      // The row is there and `uploaded`: the sweeper enqueues it once the queue answers again.
      return null;
    }
  }

  /** Undoes an upload whose form turned out invalid after its file part was stored (a field came after the file). */
  async function forget(outcome: Awaited<ReturnType<typeof acceptUpload>> | undefined): Promise<void> {
    if (!outcome?.created) return;
    await store.purge(outcome.row.id);
    if (outcome.row.blob_key && !(await store.blobInUse(outcome.row.blob_key))) await blobs.delete(outcome.row.blob_key);
  }

  async function upload(request: FastifyRequest, reply: FastifyReply) {
    let outcome: Awaited<ReturnType<typeof acceptUpload>> | undefined;
    const fields = new UploadFields();
    try {
      for await (const part of request.parts({
        limits: { files: 1, fields: 10, fieldSize: MAX_FIELD_BYTES, fileSize: deps.uploadMaxBytes + 1, parts: 12, headerPairs: 200 },
      })) {
        if (part.type === 'field') {
          if (part.fieldnameTruncated || part.valueTruncated)
            throw new UploadError(`form field "${part.fieldname.slice(0, 50)}" is longer than ${MAX_FIELD_BYTES} bytes`);
          fields.add(part.fieldname, String(part.value));
        } else if (part.fieldname !== 'file') {
          part.file.resume();
          throw new UploadError(`the file must be in the form part "file", not "${part.fieldname.slice(0, 50)}"`);
        } else {
          if (outcome) throw new UploadError('send one file per upload');
          outcome = await acceptUpload(
            blobs,
            store,
            { stream: part.file, filename: part.filename, title: fields.title, tags: fields.tags },
            deps.uploadMaxBytes,
          );
        }
      }
      if (!outcome) throw new UploadError('no file: send it as the form part "file" of a multipart/form-data body');
      // Fields may follow the file part (curl keeps the order of -F options): apply what the row does not have yet.
      if (outcome.created) outcome = { ...outcome, row: await store.applyUploadFields(outcome.row, { title: fields.title, tags: fields.tags }) };
    } catch (error) {
      await forget(outcome).catch((e: unknown) => request.log.error({ err: e }, 'could not undo a refused upload'));
      // The client may still be sending: answer and close instead of reading the rest of a refused body.
      void reply.header('connection', 'close');
      if (error instanceof AiStackError) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'FST_REQ_FILE_TOO_LARGE') throw new BlobTooLargeError(deps.uploadMaxBytes);
      if (code?.startsWith('FST_')) throw new UploadError(`the multipart body is invalid: ${(error as Error).message}`);
      throw new UploadError(`the upload did not complete: ${(error as Error).message}`);
    }
    const location = `/api/v1/documents/${outcome.row.id}`;
    if (!outcome.created)
      return reply
        .code(200)
        .header('Location', location)
        .send({ document: documentFromRow(outcome.row), task: taskRef(outcome.row.task_id) });
    const taskId = await enqueue(outcome.row);
    // The upload as accepted (a worker may already be processing it: GET the Location for the live status).
    return reply
      .code(202)
      .header('Location', location)
      .send({ document: documentFromRow({ ...outcome.row, task_id: taskId }), task: taskRef(taskId) });
  }

  return async (app: FastifyInstance): Promise<void> => {
    await app.register(multipart, { throwFileSizeLimit: true });
    registerResource(app, documentResource(store.db, { queryCache: options.queryCache }), context);

    app.post(
      '/documents',
      {
        schema: {
          tags,
          summary: 'Upload a document (multipart/form-data: part "file", optional "title" and "tags"), or register metadata only (JSON)',
          consumes: ['multipart/form-data', 'application/json'],
          response: { 200: UploadReply, 201: DocumentItem, 202: UploadReply },
        },
        config: { invalidates },
      },
      async (request, reply) => {
        if (request.isMultipart()) return upload(request, reply);
        const body = request.body;
        if (!checkCreate.Check(body)) {
          const issues = [...checkCreate.Errors(body)].slice(0, 10).map((e) => ({ field: `body${e.instancePath}`, message: e.message }));
          throw new ValidationError(`Invalid body: ${issues[0]?.field ?? 'body'}: ${issues[0]?.message ?? 'does not match the schema'}`, issues);
        }
        const row = await documentResource(store.db, { queryCache: options.queryCache }).repository.create(body);
        return reply.code(201).header('Location', `/api/v1/documents/${row.id}`).header('ETag', `"${row.id}.${row.version}"`).send(row);
      },
    );

    app.get(
      '/documents/similar',
      {
        schema: {
          tags,
          summary: 'Chunks nearest to a text (cosine over the current embedding space)',
          querystring: Type.Object(
            { text: Type.String({ minLength: 1, maxLength: 8000 }), k: Type.Integer({ minimum: 1, maximum: 100, default: 5 }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ model: Type.String(), data: Type.Array(Type.Object({ score: Type.Number(), title: Type.String(), ...ChunkItem.properties })) }),
          },
        },
      },
      async (request) => {
        const { text, k } = request.query as { text: string; k: number };
        const hits = await deps.pipeline.similar(text, k);
        return {
          model: `${deps.pipeline.deps.embedder.model}@${deps.pipeline.deps.embedder.dimension}`,
          data: hits.map((h) => ({ score: h.score, ...h.chunk })),
        };
      },
    );

    app.get(
      '/documents/:id/content',
      { schema: { tags, summary: 'The original file (Range, ETag, Content-Disposition with the original name)', params: IdParams } },
      async (request, reply) => {
        const row = await live((request.params as { id: number }).id);
        if (!row.blob_key) throw new NotFoundError(`Content of document ${row.id} (a metadata-only record)`);
        const size = Number(row.size_bytes);
        const etag = `"${row.sha256}"`;
        void reply.header('ETag', etag).header('Accept-Ranges', 'bytes').header('Cache-Control', 'private, max-age=0, must-revalidate');
        void reply.header('Content-Disposition', contentDisposition(row.filename, { type: 'attachment' })).header('X-Content-Type-Options', 'nosniff');
        const ifNoneMatch = request.headers['if-none-match'];
        if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return reply.code(304).send();
        const ifRange = request.headers['if-range'];
        const range = ifRange && ifRange !== etag ? undefined : parseRange(request.headers.range, size);
        // The stored media type is ours (detected), never the client's: safe to serve.
        void reply.type(row.media_type);
        if (!range) return reply.header('Content-Length', size).send(await blobs.get(row.blob_key));
        return reply
          .code(206)
          .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
          .header('Content-Length', range.end - range.start + 1)
          .send(await blobs.get(row.blob_key, range));
      },
    );

    app.get(
      '/documents/:id/thumbnails/:name',
      {
        schema: {
          tags,
          summary: "A thumbnail (AVIF or WebP) of an image or a PDF's first page; its URL carries a content hash, so it is cacheable for a year",
          params: ThumbnailParams,
          response: {
            200: {
              description: 'The image (ETag; `Cache-Control: private, max-age=31536000, immutable`)',
              content: { 'image/avif': { schema: { type: 'string', format: 'binary' } }, 'image/webp': { schema: { type: 'string', format: 'binary' } } },
            },
            304: { description: 'Not modified (If-None-Match matched the ETag)', type: 'null' },
          },
        },
      },
      async (request, reply) => {
        const { id, name } = request.params as { id: number; name: string };
        const row = await live(id);
        const record = thumbnailRecordOf(JSON.parse(String(row.metadata)) as Record<string, unknown>);
        const found = record ? await openThumbnail(blobs, row.sha256, record, name) : undefined;
        if (!found) throw new NotFoundError(`Thumbnail ${name} of document ${id}`);
        // Private: behind authentication, so shared caches must not keep it; the browser may, for good.
        void reply.header('Cache-Control', 'private, max-age=31536000, immutable').header('ETag', found.etag).header('X-Content-Type-Options', 'nosniff');
        const ifNoneMatch = request.headers['if-none-match'];
        if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === found.etag)) {
          found.body.destroy();
          return reply.code(304).send();
        }
        return reply.type(found.type).send(found.body);
      },
    );

    app.get(
      '/documents/:id/text',
      { schema: { tags, summary: 'The extracted text (the coordinate system of chunk offsets)', params: IdParams } },
      async (request, reply) => {
        const row = await live((request.params as { id: number }).id);
        void reply.type('text/plain; charset=utf-8');
        // Streamed from the blob store (it can be as large as the file); documents processed before the text
        // moved there still have it in the database.
        if (await blobs.stat(textKey(row.id))) return reply.send(await blobs.get(textKey(row.id)));
        const text = await store.legacyText(row.id);
        if (text === undefined) throw new ConflictError(`document ${row.id} has no extracted text yet (status ${row.status})`, { code: 'document_not_ready' });
        return reply.send(text);
      },
    );

    app.get(
      '/documents/:id/chunks',
      {
        schema: {
          tags,
          summary: 'Chunks in order, paginated by offset',
          params: IdParams,
          querystring: Type.Object(
            { offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }), limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ total: Type.Integer(), offset: Type.Integer(), limit: Type.Integer(), data: Type.Array(ChunkItem) }) },
        },
      },
      async (request) => {
        const row = await live((request.params as { id: number }).id);
        const page = request.query as { offset: number; limit: number };
        return { ...(await store.chunks(row.id, page)), ...page };
      },
    );

    app.get(
      '/documents/:id/metadata',
      { schema: { tags, summary: 'Extracted metadata: title, author, language, pages, counts, dates, outline; the thumbnail', params: IdParams } },
      async (request) => {
        const row = await live((request.params as { id: number }).id);
        const metadata = JSON.parse(String(row.metadata)) as { extracted?: unknown };
        return {
          id: row.id,
          title: row.title,
          thumbnail: documentFromRow(row).thumbnail,
          status: row.status,
          detected_type: row.detected_type,
          warnings: JSON.parse(String(row.warnings)) as string[],
          metadata: metadata.extracted ?? null,
        };
      },
    );

    const reprocess = (onlyFailed: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
      const row = await live((request.params as { id: number }).id);
      if (!row.blob_key)
        throw new ConflictError(`document ${row.id} is a metadata-only record: there is nothing to process`, { code: 'document_has_no_content' });
      if (onlyFailed && row.status !== 'failed')
        throw new ConflictError(`document ${row.id} is ${row.status}, not failed: use /reprocess to process it again`, { code: 'document_not_failed' });
      const taskId = await enqueue(row);
      return reply.code(202).send({ document: documentFromRow((await store.get(row.id)) ?? row), task: taskRef(taskId) });
    };
    const reprocessSchema = (summary: string) => ({ schema: { tags, summary, params: IdParams, response: { 202: UploadReply } }, config: { invalidates } });
    app.post('/documents/:id/retry', reprocessSchema('Retry a failed document'), reprocess(true));
    app.post('/documents/:id/reprocess', reprocessSchema('Process a document again (e.g. after an embedding model change)'), reprocess(false));

    app.delete(
      '/documents/:id',
      {
        schema: { tags, summary: 'Soft delete: hidden at once, purged by cleanup_old_documents after the grace period', params: IdParams },
        config: { invalidates },
      },
      async (request, reply) => {
        const { id } = request.params as { id: number };
        if (!(await store.softDelete(id))) throw new NotFoundError(`Document ${id}`);
        return reply.code(204).send();
      },
    );
  };
}
