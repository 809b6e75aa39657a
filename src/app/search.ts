import { sql } from 'kysely';
import { Type } from 'typebox';
import type { Db } from '../db/index.ts';
import { hybridWeight, type DocumentsModule } from '../documents/index.ts';
import {
  Analyzer,
  PostgresSearchEngine,
  SearchService,
  SqliteSearchEngine,
  type SearchDocument,
  type SearchSource,
  type VectorSource,
} from '../search/index.ts';
import type { Logger } from '../shared/logger.ts';
import { defineTask, type ScheduleSpec, type TaskDefinition } from '../tasks/index.ts';

export const REBUILD_SEARCH_INDEX = 'sync.rebuild_search_index';
export const SYNC_KNOWLEDGE_BASE = 'sync.sync_knowledge_base';

interface DocumentRow {
  id: number;
  title: string;
  detected_type: string | null;
  metadata: string;
  created_at: string | Date;
}

/** Chunks read, analysed and written per batch when a document is indexed. */
const PAGE_CHUNKS = 500;

/** The documents module's ready chunks as search units: `<documentId>:<ordinal>`, the document's title and facets. */
class DocumentChunkSource implements SearchSource {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async load(documentIds: readonly string[]): Promise<SearchDocument[]> {
    const units: SearchDocument[] = [];
    for await (const page of this.pages(documentIds)) units.push(...page);
    return units;
  }

  /** The units of these documents a page of chunks at a time: a 200 MB document has 300,000 of them. */
  async *pages(documentIds: readonly string[], size = PAGE_CHUNKS): AsyncIterable<SearchDocument[]> {
    const ids = documentIds.map(Number).filter((id) => Number.isInteger(id) && id > 0);
    if (ids.length === 0) return;
    const documents = (await this.#db.kysely
      .selectFrom('documents')
      .select(['id', 'title', 'detected_type', 'metadata', 'created_at'])
      .where('id', 'in', ids)
      .where('status', '=', 'ready')
      .where('deleted_at', 'is', null)
      .execute()) as DocumentRow[];
    const byId = new Map(documents.map((d) => [d.id, d]));
    let after = { documentId: 0, ordinal: -1 };
    while (byId.size > 0) {
      const chunks = await this.#db.kysely
        .selectFrom('document_chunks')
        .select(['document_id', 'ordinal', 'text'])
        .where('document_id', 'in', [...byId.keys()])
        .where(sql<boolean>`(document_id, ordinal) > (${after.documentId}, ${after.ordinal})`)
        .orderBy('document_id')
        .orderBy('ordinal')
        .limit(size)
        .execute();
      const units = chunks.flatMap((chunk) => {
        const doc = byId.get(chunk.document_id);
        return doc ? [unitOf(doc, chunk.ordinal, chunk.text)] : [];
      });
      if (units.length > 0) yield units;
      const last = chunks.at(-1);
      if (!last || chunks.length < size) return;
      after = { documentId: last.document_id, ordinal: last.ordinal };
    }
  }

  async *all(): AsyncIterable<SearchDocument[]> {
    let after = 0;
    for (;;) {
      const page = await this.#db.kysely
        .selectFrom('documents')
        .select('id')
        .where('id', '>', after)
        .where('status', '=', 'ready')
        .where('deleted_at', 'is', null)
        .orderBy('id')
        .limit(50)
        .execute();
      if (page.length === 0) return;
      yield* this.pages(page.map((d) => String(d.id)));
      after = page.at(-1)?.id ?? after;
    }
  }
}

/**
 * The documents module's nearest chunks (its public `similar`: exact cosine today, a vector index later,
 * the same call either way) as search unit ids. Neighbours with a cosine of zero or less share nothing
 * with the query and are left out.
 */
class DocumentVectorSource implements VectorSource {
  readonly #documents: DocumentsModule;

  constructor(documents: DocumentsModule) {
    this.#documents = documents;
  }

  get weight(): number {
    return hybridWeight(this.#documents.embedder);
  }

  async nearest(text: string, k: number): Promise<string[]> {
    if (text.trim() === '') return [];
    const hits = await this.#documents.pipeline.similar(text, k);
    return hits.filter((hit) => hit.score > 0).map((hit) => `${hit.chunk.document_id}:${hit.chunk.ordinal}`);
  }
}

function unitOf(doc: DocumentRow, ordinal: number, text: string): SearchDocument {
  const metadata = JSON.parse(String(doc.metadata)) as { tags?: unknown; extracted?: { language?: unknown } };
  const tags = Array.isArray(metadata.tags) ? metadata.tags.filter((t): t is string => typeof t === 'string') : [];
  const language = typeof metadata.extracted?.language === 'string' ? metadata.extracted.language : undefined;
  return {
    id: `${doc.id}:${ordinal}`,
    documentId: String(doc.id),
    title: doc.title,
    body: text,
    tags,
    date: new Date(doc.created_at).toISOString(),
    ...(doc.detected_type ? { type: doc.detected_type } : {}),
    ...(language ? { language } : {}),
  };
}

export interface AppSearch {
  service: SearchService;
  tasks: TaskDefinition[];
  schedules: ScheduleSpec[];
}

/**
 * Search over the documents' chunks on the application database (FTS5 on SQLite, full-text search on
 * PostgreSQL), fused with the documents' vectors (hybrid by default once any exist): a document entering
 * `ready` is indexed by the worker that processed it; the two `sync` tasks rebuild the index beside the
 * live one and reconcile it with the database (nightly).
 */
export function createAppSearch(db: Db, documents: DocumentsModule, logger: Logger): AppSearch {
  const analyzer = new Analyzer();
  const engine = db.dialect === 'postgres' ? new PostgresSearchEngine(db.kysely, analyzer) : new SqliteSearchEngine(db.kysely, analyzer);
  const service = new SearchService({ db: db.kysely, engine, analyzer, source: new DocumentChunkSource(db), vectors: new DocumentVectorSource(documents) });
  let ready: Promise<void> | undefined;
  const init = (): Promise<void> => (ready ??= service.init());
  documents.events.onReady(async ({ documentId }) => {
    await init();
    const units = await service.indexDocuments([String(documentId)]);
    logger.debug({ documentId, units }, 'document indexed for search');
  });
  const none = Type.Object({}, { additionalProperties: false });
  const rebuild = defineTask(REBUILD_SEARCH_INDEX, { queue: 'sync', args: none, timeLimit: { soft: 3_600_000 } }, async () => {
    await init();
    return service.rebuild();
  });
  const reconcile = defineTask(SYNC_KNOWLEDGE_BASE, { queue: 'sync', args: none, timeLimit: { soft: 3_600_000 } }, async () => {
    await init();
    return service.reconcile();
  });
  return {
    service,
    tasks: [rebuild, reconcile] as TaskDefinition[],
    schedules: [{ id: `${SYNC_KNOWLEDGE_BASE}.nightly`, task: SYNC_KNOWLEDGE_BASE, args: {}, cron: '30 2 * * *' }],
  };
}
