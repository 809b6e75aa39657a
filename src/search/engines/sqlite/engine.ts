import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Analyzer } from '../../analysis/index.ts';
import { analyseDocument, documentHash } from '../../document-fields.ts';
import { ensureMeta, inEveryWriteTarget, readGenerations, rebuildGeneration } from '../../generations.ts';
import { planQuery } from '../../query/plan.ts';
import type { IndexedEntry, IndexStats, SearchDocument, SearchEngine, SearchQuery, SearchResult, Suggestion } from '../../types.ts';
import { checkFilters, counts, distinctTitles, indexStats, nearSpellings, page, pagedEntries, toHit, type StoredRow, type Vocabulary } from '../shared.ts';
import { compileMatch } from './compile.ts';
import { createGeneration, dropGeneration, tables } from './schema.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the search tables are not part of the app's typed schema
type AnyDb = Kysely<any>;

/**
 * Column weights for bm25(): title, body, sub-words, bigrams, pinyin, unstemmed words. Sub-words and
 * bigrams widen what matches but count little or nothing towards the score: measured on the Debian
 * Reference known-item set (npm run eval:search), Chinese MRR@10 0.684 with 0.5/0.3, 0.702 with 0.3/0.
 */
const WEIGHTS = '8.0, 1.0, 0.3, 0.0, 0.0, 0.0';
/** No filter: compared by identity to know that a query needs no join. */
const EMPTY = sql``;
const join = (tokens: ReadonlyArray<{ term: string }>): string => tokens.map((t) => t.term).join(' ');

/** SQLite FTS5, the embedded default: real BM25 with column weights over pre-analysed text. */
export class SqliteSearchEngine implements SearchEngine {
  readonly name = 'sqlite';
  readonly #db: AnyDb;
  readonly #analyzer: Analyzer;

  constructor(db: AnyDb, analyzer: Analyzer) {
    this.#db = db;
    this.#analyzer = analyzer;
  }

  async init(): Promise<void> {
    await ensureMeta(this.#db);
    const g = await readGenerations(this.#db);
    await createGeneration(this.#db, g.active);
  }

  async upsert(documents: readonly SearchDocument[]): Promise<void> {
    if (documents.length === 0) return;
    await inEveryWriteTarget(this.#db, (trx, g) => this.#write(trx, g, documents));
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#deleteEverywhere(sql`id in (${sql.join([...ids])})`);
  }

  async removeDocuments(documentIds: readonly string[]): Promise<void> {
    if (documentIds.length > 0) await this.#deleteEverywhere(sql`document_id in (${sql.join([...documentIds])})`);
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const { limit, offset } = page(query);
    checkFilters(query.filters);
    const plan = planQuery(this.#analyzer, query.q);
    const g = (await readGenerations(this.#db)).active;
    const t = tables(g);
    const match = compileMatch(plan, await nearSpellings(this.#analyzer, plan, this.#vocabulary(g)), query.match ?? 'any');
    const filters = this.#filters(query, g);
    const where = sql`${sql.table(t.fts)} match ${match}${filters}`;
    const from = sql`from ${sql.table(t.fts)} f join ${sql.table(t.docs)} d on d.rowid = f.rowid`;
    // Rank first, then read the stored text of the page only: with the documents' columns in the ranked rows, SQLite
    // carried every match's body through the sort, and the count joined every match to its row (4× the time on the
    // benchmark's 10,000 chunks). Without filters or a date sort, neither needs the documents table at all.
    const needsDocs = query.sort === 'date' || filters !== EMPTY;
    const score = sql`-bm25(${sql.table(t.fts)}, ${sql.raw(WEIGHTS)})`;
    const ranked = needsDocs
      ? sql<{ rowid: number; score: number }>`select f.rowid as rowid, ${score} as score ${from} where ${where}
        order by ${query.sort === 'date' ? sql`d.date desc, score desc` : sql`score desc`} limit ${limit} offset ${offset}`
      : sql<{ rowid: number; score: number }>`select rowid, ${score} as score from ${sql.table(t.fts)} where ${where}
        order by score desc limit ${limit} offset ${offset}`;
    const top = (await ranked.execute(this.#db)).rows;
    const stored = new Map<number, Omit<StoredRow, 'tags' | 'score'> & { tags: string }>();
    if (top.length > 0) {
      const { rows: docs } = await sql<Omit<StoredRow, 'tags' | 'score'> & { rowid: number; tags: string }>`select rowid, id, document_id, title, body, type,
        language, date, tags from ${sql.table(t.docs)} where rowid in (${sql.join(top.map((r) => r.rowid))})`.execute(this.#db);
      for (const doc of docs) stored.set(doc.rowid, doc);
    }
    const rows = top.flatMap((r) => {
      const doc = stored.get(r.rowid);
      return doc ? [{ ...doc, score: r.score }] : [];
    });
    // Counted apart: a window count in the ranking statement cost more than this second pass over the doclists.
    const total = await (
      needsDocs
        ? sql<{ n: number }>`select count(*) as n ${from} where ${where}`
        : sql<{ n: number }>`select count(*) as n from ${sql.table(t.fts)} where ${where}`
    ).execute(this.#db);
    const facets: SearchResult['facets'] = {};
    for (const facet of new Set(query.facets ?? [])) {
      const rowsOf =
        facet === 'tags'
          ? sql<{
              value: string;
              n: number;
            }>`select tg.tag as value, count(*) as n ${from} join ${sql.table(t.tags)} tg on tg.doc = d.rowid where ${where} group by tg.tag`
          : sql<{ value: string; n: number }>`select d.${sql.ref(facet)} as value, count(*) as n ${from} where ${where} group by d.${sql.ref(facet)}`;
      facets[facet] = counts((await rowsOf.execute(this.#db)).rows);
    }
    const explain = query.explain ? { engine: this.name, engineQuery: match } : undefined;
    return {
      total: Number(total.rows[0]?.n ?? 0),
      hits: rows.map((r) => toHit(this.#analyzer, plan, { ...r, tags: JSON.parse(r.tags) as string[] }, explain)),
      facets,
    };
  }

  async suggest(prefix: string, limit = 8): Promise<Suggestion[]> {
    const trimmed = prefix.trim().slice(0, 100);
    const terms = this.#analyzer.analyze(trimmed, 'query').map((x) => x.term);
    if (terms.length === 0) return [];
    const t = tables((await readGenerations(this.#db)).active);
    const quoted = `"${terms.join(' ').replaceAll('"', '""')}" *`;
    // Latin letters may be pinyin (wx → 微信) as well as words of the title.
    const match = /^[a-z0-9 ]+$/.test(terms.join(' ')) ? `{title pinyin} : ${quoted}` : `{title} : ${quoted}`;
    const { rows } = await sql<{
      title: string;
      document_id: string;
    }>`select d.title, d.document_id from ${sql.table(t.fts)} f join ${sql.table(t.docs)} d on d.rowid = f.rowid
      where ${sql.table(t.fts)} match ${match} order by bm25(${sql.table(t.fts)}, ${sql.raw(WEIGHTS)}) limit 200`.execute(this.#db);
    return distinctTitles(rows, limit);
  }

  rebuild(source: () => AsyncIterable<readonly SearchDocument[]>): Promise<{ indexed: number }> {
    return rebuildGeneration(this.#db, { create: createGeneration, drop: dropGeneration, write: (db, g, units) => this.#write(db, g, units) }, source);
  }

  async *entries(): AsyncIterable<IndexedEntry[]> {
    const t = tables((await readGenerations(this.#db)).active);
    yield* pagedEntries(
      async (after) => (await sql<IndexedEntry>`select id, hash from ${sql.table(t.docs)} where id > ${after} order by id limit 1000`.execute(this.#db)).rows,
    );
  }

  async stats(): Promise<IndexStats> {
    const g = (await readGenerations(this.#db)).active;
    const t = tables(g);
    return indexStats(this.#db, this.name, g, t.docs, sql<{ n: number }>`select count(*) as n from ${sql.table(t.vocab)}`);
  }

  /** Replaces the units in generation `g`: deletes each id's old row, inserts the analysed new one. */
  async #write(db: AnyDb, g: number, documents: readonly SearchDocument[]): Promise<void> {
    const t = tables(g);
    await this.#deleteWhere(db, g, sql`id in (${sql.join(documents.map((d) => d.id))})`);
    for (const doc of documents) {
      const fields = analyseDocument(this.#analyzer, doc);
      const { rows } = await sql<{ rowid: number }>`insert into ${sql.table(t.docs)} (id, document_id, title, body, type, language, date, tags, hash)
        values (${doc.id}, ${doc.documentId}, ${doc.title}, ${doc.body}, ${doc.type ?? null}, ${doc.language ?? null}, ${doc.date ?? null}, ${JSON.stringify(doc.tags ?? [])}, ${documentHash(doc)}) returning rowid`.execute(
        db,
      );
      const rowid = rows[0]?.rowid;
      await sql`insert into ${sql.table(t.fts)} (rowid, title, body, sub, bigram, pinyin, words)
        values (${rowid}, ${join(fields.title)}, ${join(fields.body)}, ${join(fields.sub)}, ${join(fields.bigrams)}, ${fields.pinyin.join(' ')}, ${fields.words.join(' ')})`.execute(
        db,
      );
      for (const tag of new Set(doc.tags ?? [])) await sql`insert into ${sql.table(t.tags)} (tag, doc) values (${tag}, ${rowid})`.execute(db);
    }
  }

  async #deleteEverywhere(condition: RawBuilder<unknown>): Promise<void> {
    await inEveryWriteTarget(this.#db, (trx, g) => this.#deleteWhere(trx, g, condition));
  }

  async #deleteWhere(db: AnyDb, g: number, condition: RawBuilder<unknown>): Promise<void> {
    const t = tables(g);
    const { rows } = await sql<{ rowid: number }>`select rowid from ${sql.table(t.docs)} where ${condition}`.execute(db);
    if (rows.length === 0) return;
    const rowids = rows.map((r) => r.rowid);
    await sql`delete from ${sql.table(t.fts)} where rowid in (${sql.join(rowids)})`.execute(db);
    await sql`delete from ${sql.table(t.tags)} where doc in (${sql.join(rowids)})`.execute(db);
    await sql`delete from ${sql.table(t.docs)} where rowid in (${sql.join(rowids)})`.execute(db);
  }

  #filters(query: SearchQuery, g: number): RawBuilder<unknown> {
    const f = query.filters ?? {};
    const parts: Array<RawBuilder<unknown>> = [];
    if (f.type?.length) parts.push(sql`d.type in (${sql.join([...f.type])})`);
    if (f.language?.length) parts.push(sql`d.language in (${sql.join([...f.language])})`);
    for (const tag of f.tags ?? []) parts.push(sql`exists (select 1 from ${sql.table(tables(g).tags)} tg where tg.tag = ${tag} and tg.doc = d.rowid)`);
    if (f.dateFrom) parts.push(sql`d.date >= ${new Date(f.dateFrom).toISOString()}`);
    if (f.dateTo) parts.push(sql`d.date <= ${new Date(f.dateTo).toISOString()}`);
    return parts.length === 0 ? EMPTY : sql` and ${sql.join(parts, sql` and `)}`;
  }

  #vocabulary(g: number): Vocabulary {
    const vocab = tables(g).vocab;
    return {
      has: async (terms) =>
        Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(vocab)} where term in (${sql.join([...terms])})`.execute(this.#db)).rows[0]?.n) >
        0,
      candidates: async (first, min, max) =>
        (
          await sql<{ term: string }>`select term from ${sql.table(vocab)} where term >= ${first} and term < ${`${first}\u{10ffff}`}
        and length(term) between ${min} and ${max} order by doc desc limit 2000`.execute(this.#db)
        ).rows.map((r) => r.term),
    };
  }
}
