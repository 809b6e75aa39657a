import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Analyzer } from '../../analysis/index.ts';
import { analyseDocument, documentHash } from '../../document-fields.ts';
import { ensureMeta, inEveryWriteTarget, readGenerations, rebuildGeneration } from '../../generations.ts';
import { planQuery } from '../../query/plan.ts';
import type { IndexedEntry, IndexStats, SearchDocument, SearchEngine, SearchQuery, SearchResult, Suggestion } from '../../types.ts';
import {
  checkFilters,
  counts,
  distinctTitles,
  fuzzyWords,
  indexStats,
  nearSpellings,
  page,
  pagedEntries,
  toHit,
  type StoredRow,
  type Vocabulary,
} from '../shared.ts';
import { Bm25, TF_OF_WEIGHT, WEIGHTS } from './ranking.ts';
import { createFunctions, createGeneration, dropGeneration, tables, underSchemaLock, vacuumGeneration, type Tables } from './schema.ts';
import { upgradeGeneration } from './upgrade.ts';
import { compileTsquery, D_MARK, indexedLength, tsvectorLiteral } from './tsvector.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the search tables are not part of the app's typed schema
type AnyDb = Kysely<any>;

const CORPUS_STATS_MS = 2_000;

/**
 * Writers of one generation take turns, for the rest of their transaction. Each locks the document frequency rows of
 * every term it writes or deletes, a batch of documents at a time: sorted within a statement but not across a batch,
 * so two concurrent batches deadlocked (test: postgres-engine.test.ts). Frequent terms are in nearly every row, so
 * concurrent writers already waited for each other on those rows; this only makes the order one that cannot cycle.
 * Live writes lock the active generation before the building one, a rebuild's batches only the building one.
 */
async function lockWriters(db: AnyDb, g: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${tables(g).terms}))`.execute(db);
}

/** How many rows of a generation match `where` (over its rows aliased `d`). */
async function countMatches(db: AnyDb, t: Tables, where: RawBuilder<unknown>): Promise<number> {
  return Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(t.docs)} d where ${where}`.execute(db)).rows[0]?.n ?? 0);
}

/** One page of stored rows with their scores, and the total number of matches. */
interface Page {
  rows: Array<Omit<StoredRow, 'date'> & { date: Date | null }>;
  total: number;
}

const STORED = sql`d.id, d.document_id, d.title, d.body, d.type, d.language, d.date, d.tags`;

/**
 * PostgreSQL full-text search over our own tokens (a tsvector written from the shared analysis, GIN index).
 * Ranking is BM25 (ranking.ts), from each row's term frequencies kept in a postings table and document frequencies
 * kept with every write.
 */
export class PostgresSearchEngine implements SearchEngine {
  readonly name = 'postgres';
  readonly #db: AnyDb;
  readonly #analyzer: Analyzer;
  readonly #corpusStats = new Map<number, { n: number; avgdl: number; at: number }>();

  constructor(db: AnyDb, analyzer: Analyzer) {
    this.#db = db;
    this.#analyzer = analyzer;
  }

  async init(): Promise<void> {
    await underSchemaLock(this.#db, ensureMeta);
    const { active, building } = await readGenerations(this.#db);
    for (const g of new Set([active, building ?? active])) {
      await upgradeGeneration(this.#db, g, (db, target, documents, hashes) => this.#write(db, target, documents, hashes));
    }
    await underSchemaLock(this.#db, async (trx) => {
      await createGeneration(trx, active);
      await createFunctions(trx);
    });
  }

  async upsert(documents: readonly SearchDocument[]): Promise<void> {
    if (documents.length === 0) return;
    await inEveryWriteTarget(this.#db, (trx, g) => this.#write(trx, g, documents));
    this.#corpusStats.clear(); // also after the commit: a search during the write may have cached the old figures
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#deleteEverywhere(sql`id = any(${[...ids]}::text[])`);
  }

  async removeDocuments(documentIds: readonly string[]): Promise<void> {
    if (documentIds.length > 0) await this.#deleteEverywhere(sql`document_id = any(${[...documentIds]}::text[])`);
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const { limit, offset } = page(query);
    checkFilters(query.filters);
    const plan = planQuery(this.#analyzer, query.q);
    const fuzzy = fuzzyWords(plan);
    const { g, df } = await this.#lookup([...Bm25.termsOf(plan), ...fuzzy]);
    const t = tables(g);
    const extra = await nearSpellings(this.#analyzer, plan, this.#vocabulary(g, new Set(fuzzy), df));
    const tsquery = compileTsquery(plan, extra, query.match ?? 'any');
    const filters = this.#filters(query);
    const where = sql`d.tsv @@ ${tsquery}::tsquery${filters ?? sql``}`;
    const bm25 = new Bm25(plan, extra, { ...(await this.#corpus(g)), df });
    const positive = plan.groups.filter((group) => !group.negate).length;
    const scoredOnly =
      bm25.ranked.length === 0 &&
      bm25.terms.length > 0 &&
      // A term in more rows than the cached count has a negative IDF: its rows may rank below unscored matches.
      bm25.weights.every((w) => w > 0) &&
      filters === null &&
      query.sort !== 'date' &&
      positive === plan.groups.length &&
      (positive === 1 || (query.match ?? 'any') === 'any');
    const scored = scoredOnly ? await this.#bestScored(g, bm25, tsquery, limit, offset) : null;
    const { rows, total } = scored ?? (await this.#byIndex((trx) => this.#allMatches(trx, t, bm25, where, limit, offset, query.sort === 'date')));
    const facets: SearchResult['facets'] = {};
    for (const facet of new Set(query.facets ?? [])) {
      const value = facet === 'tags' ? sql`unnest(d.tags)` : sql`d.${sql.ref(facet)}`;
      const { rows: facetRows } = await sql<{
        value: string;
        n: string;
      }>`select value, count(*) as n from (select ${value} as value from ${sql.table(t.docs)} d where ${where}) v group by value`.execute(this.#db);
      facets[facet] = counts(facetRows);
    }
    const explain = query.explain ? { engine: this.name, engineQuery: tsquery } : undefined;
    const hits = rows.map((r) =>
      toHit(this.#analyzer, plan, { ...r, date: r.date === null ? null : new Date(r.date).toISOString(), score: Number(r.score) }, explain),
    );
    return { total, hits, facets };
  }

  /**
   * Most queries (any of their words, groups of single terms, no exclusion, filter or date order): every row with a
   * posting of a query term matches, so the page is the best-scored rows of the postings alone (with the rows tied with
   * the last, whose order is by id), and only the total reads the GIN index. A page this does not fill may still hold
   * matches without a scored term (only a bigram of a word matched): null, and the general statement answers.
   */
  async #bestScored(g: number, bm25: Bm25, tsquery: string, limit: number, offset: number): Promise<Page | null> {
    const t = tables(g);
    // The count runs beside the page, on a second connection: on the benchmark's common queries each took 2-4 ms. It
    // is search_count (schema.ts), #byIndex's plan in one round trip.
    const [{ rows }, total] = await Promise.all([
      sql<Page['rows'][number]>`select ${STORED}, s.score
      from (select rid, score from ${bm25.postingScores(t.postings)} p order by score desc fetch first ${offset + limit} rows with ties) s
      join ${sql.table(t.docs)} d on d.rid = s.rid order by s.score desc, d.id limit ${limit} offset ${offset}`.execute(this.#db),
      sql<{ n: string }>`select search_count(${g}, ${tsquery}::tsquery) as n`.execute(this.#db).then((r) => Number(r.rows[0]?.n ?? 0)),
    ]);
    return rows.length < limit ? null : { rows, total };
  }

  /**
   * Runs `work` with the planner's seq scans off. The GIN index finds the matches without reading their tsvectors (a
   * query without weights or phrases needs no recheck), so a seq scan, which evaluates every row's tsvector, is never
   * the cheaper one here, though the planner takes it for queries matching a third of the rows (13 ms where the index
   * took 3 ms on the benchmark).
   */
  #byIndex<T>(work: (trx: AnyDb) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(async (trx) => {
      await sql`select set_config('enable_seqscan', 'off', true)`.execute(trx);
      return work(trx);
    });
  }

  /**
   * Every match scored: groups of single terms from the postings, the others with ts_rank_cd of each match's tsvector
   * in the fenced subquery (OFFSET 0 keeps PostgreSQL from inlining it and evaluating every ts_rank_cd twice). The total
   * comes with the page, a window count over the rows already matched; only a page past the last match counts apart.
   * (Measured and dropped: a one-call ts_rank_cd of all groups keeping the best 200 or 1,000 matches for exact BM25
   * lowered MRR@10 on the benchmark's corpus, 0.588 → 0.550 / 0.583: it has no IDF.)
   */
  async #allMatches(db: AnyDb, t: Tables, bm25: Bm25, where: RawBuilder<unknown>, limit: number, offset: number, byDate: boolean): Promise<Page> {
    const ranks = bm25.rankColumns();
    const order = byDate ? sql`date desc nulls last, score desc` : sql`score desc`;
    const { rows } = await sql<Page['rows'][number] & { total: string }>`select ${STORED}, top.score, top.total
      from (select id, date, score, total
        from (select x.id, x.date, x.total, coalesce(p.score, 0) + ${bm25.rankedScore(sql.ref('x.len'))} as score
          from (select d.rid, d.id, d.date, d.len, count(*) over () as total${ranks.length > 0 ? sql`, ${sql.join(ranks)}` : sql``}
            from ${sql.table(t.docs)} d where ${where} offset 0) x
          left join ${bm25.postingScores(t.postings)} p on p.rid = x.rid) s
        order by ${order}, id limit ${limit} offset ${offset}) top
      join ${sql.table(t.docs)} d on d.id = top.id order by ${byDate ? sql`top.date desc nulls last, top.score desc` : sql`top.score desc`}, top.id`.execute(
      db,
    );
    const total = rows.length > 0 || offset === 0 ? Number(rows[0]?.total ?? 0) : await countMatches(db, t, where);
    return { rows, total };
  }

  async suggest(prefix: string, limit = 8): Promise<Suggestion[]> {
    const terms = this.#analyzer.analyze(prefix.trim().slice(0, 100), 'query').map((x) => x.term);
    if (terms.length === 0) return [];
    const t = tables((await readGenerations(this.#db)).active);
    const titleQuery = terms.map((term, k) => `'${term.replaceAll('\\', '\\\\').replaceAll("'", "''")}':${k === terms.length - 1 ? '*' : ''}A`).join(' <-> ');
    const joined = terms.join('');
    // Latin letters may be pinyin (wx → 微信): matched against the start of each pinyin word.
    const pinyin = /^[a-z0-9]+$/.test(joined) ? sql` or (' ' || d.pinyin) like ${`% ${joined.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}` : sql``;
    const { rows } = await sql<{ title: string; document_id: string }>`select d.title, d.document_id from ${sql.table(t.docs)} d
      where d.tsv @@ ${titleQuery}::tsquery${pinyin} order by ts_rank(${WEIGHTS}::float4[], d.tsv, ${titleQuery}::tsquery) desc, d.id limit 200`.execute(
      this.#db,
    );
    return distinctTitles(rows, limit);
  }

  rebuild(source: () => AsyncIterable<readonly SearchDocument[]>): Promise<{ indexed: number }> {
    return rebuildGeneration(
      this.#db,
      { create: createGeneration, drop: dropGeneration, write: (db, g, units) => this.#write(db, g, units), ready: vacuumGeneration },
      source,
    );
  }

  async *entries(): AsyncIterable<IndexedEntry[]> {
    const t = tables((await readGenerations(this.#db)).active);
    yield* pagedEntries(
      async (after) =>
        (await sql<IndexedEntry>`select id, hash from ${sql.table(t.docs)} where id > ${after} order by id collate "C" limit 1000`.execute(this.#db)).rows,
    );
  }

  async stats(): Promise<IndexStats> {
    const g = (await readGenerations(this.#db)).active;
    const t = tables(g);
    return indexStats(this.#db, this.name, g, t.docs, sql<{ n: string }>`select count(*) as n from ${sql.table(t.terms)} where df > 0`);
  }

  /** `hashes`: the stored hash of each document an upgrade writes again from its stored row (see upgrade.ts). */
  async #write(db: AnyDb, g: number, documents: readonly SearchDocument[], hashes?: ReadonlyMap<string, string>): Promise<void> {
    const t = tables(g);
    this.#corpusStats.delete(g);
    await lockWriters(db, g);
    await this.#deleteWhere(db, g, sql`id = any(${documents.map((d) => d.id)}::text[])`);
    for (const doc of documents) {
      const fields = analyseDocument(this.#analyzer, doc);
      const tsv = tsvectorLiteral(fields);
      const len = indexedLength(fields);
      // The postings come from the stored tsvector itself, so that they count exactly what ts_rank_cd counted.
      await sql`with d as (insert into ${sql.table(t.docs)} (id, document_id, title, body, type, language, date, tags, pinyin, hash, tsv, len)
        values (${doc.id}, ${doc.documentId}, ${doc.title}, ${doc.body}, ${doc.type ?? null}, ${doc.language ?? null}, ${doc.date ?? null}, ${[...new Set(doc.tags ?? [])]}::text[],
        ${fields.pinyin.join(' ')}, ${hashes?.get(doc.id) ?? documentHash(doc)}, ${tsv}::tsvector, ${len}) returning rid, tsv)
        insert into ${sql.table(t.postings)} (term, rid, tf, len)
        select u.lexeme, d.rid, sum(${TF_OF_WEIGHT})::float4::float8, ${len} from d, unnest(d.tsv) u, unnest(u.weights) w
        where u.lexeme not like ${`${D_MARK}%`} group by u.lexeme, d.rid having sum(${TF_OF_WEIGHT}) > 0`.execute(db);
      // Sorted, so concurrent writers lock term rows in the same order. A document frequency counts a term in any field.
      await sql`insert into ${sql.table(t.terms)} (term, df) select distinct ltrim(term, ${D_MARK}) as term, 1 from unnest(tsvector_to_array(${tsv}::tsvector)) as term order by term
        on conflict (term) do update set df = ${sql.table(t.terms)}.df + 1`.execute(db);
    }
  }

  async #deleteEverywhere(condition: RawBuilder<unknown>): Promise<void> {
    await inEveryWriteTarget(this.#db, (trx, g) => this.#deleteWhere(trx, g, condition));
    this.#corpusStats.clear();
  }

  async #deleteWhere(db: AnyDb, g: number, condition: RawBuilder<unknown>): Promise<void> {
    const t = tables(g);
    this.#corpusStats.delete(g);
    await lockWriters(db, g);
    const { rows } = await sql<{ rid: string; tsv: string }>`delete from ${sql.table(t.docs)} where ${condition} returning rid, tsv::text as tsv`.execute(db);
    for (const row of rows) {
      await sql`delete from ${sql.table(t.postings)} where term = any(tsvector_to_array(${row.tsv}::tsvector)) and rid = ${row.rid}`.execute(db);
      await sql`update ${sql.table(t.terms)} set df = df - 1
        where term in (select distinct ltrim(term, ${D_MARK}) as term from unnest(tsvector_to_array(${row.tsv}::tsvector)) as term order by term)`.execute(db);
    }
  }

  #filters(query: SearchQuery): RawBuilder<unknown> | null {
    const f = query.filters ?? {};
    const parts: Array<RawBuilder<unknown>> = [];
    if (f.type?.length) parts.push(sql`d.type = any(${[...f.type]}::text[])`);
    if (f.language?.length) parts.push(sql`d.language = any(${[...f.language]}::text[])`);
    if (f.tags?.length) parts.push(sql`d.tags @> ${[...f.tags]}::text[]`);
    if (f.dateFrom) parts.push(sql`d.date >= ${new Date(f.dateFrom).toISOString()}::timestamptz`);
    if (f.dateTo) parts.push(sql`d.date <= ${new Date(f.dateTo).toISOString()}::timestamptz`);
    return parts.length === 0 ? null : sql` and ${sql.join(parts, sql` and `)}`;
  }

  /**
   * The active generation and the document frequency of each of `words` found in it (0 for a term whose documents
   * were all deleted; absent if never indexed), in one round trip (search_lookup, schema.ts).
   */
  async #lookup(words: readonly string[]): Promise<{ g: number; df: ReadonlyMap<string, number> }> {
    const { rows } = await sql<{ generation: number; terms: string[] | null; dfs: number[] | null }>`select generation, terms, dfs
      from search_lookup(${[...new Set(words)]}::text[])`.execute(this.#db);
    const row = rows[0];
    const dfs = row?.dfs ?? [];
    return { g: Number(row?.generation ?? 1), df: new Map((row?.terms ?? []).map((term, k) => [term, Number(dfs[k] ?? 0)])) };
  }

  /**
   * Document count and average length for BM25, kept for two seconds per generation: counting them scanned the whole
   * table on every query. This engine's own writes refresh them at once; another process's within two seconds (BM25's
   * statistics are estimates anyway: Elasticsearch keeps them per shard).
   */
  async #corpus(g: number): Promise<{ n: number; avgdl: number }> {
    const cached = this.#corpusStats.get(g);
    if (cached && performance.now() - cached.at < CORPUS_STATS_MS) return cached;
    const t = tables(g);
    const { rows: totals } = await sql<{
      n: string;
      avgdl: string | null;
    }>`select count(*) as n, avg(coalesce(len, length(tsv))) as avgdl from ${sql.table(t.docs)}`.execute(this.#db);
    const stats = { n: Number(totals[0]?.n ?? 0), avgdl: Math.max(1, Number(totals[0]?.avgdl ?? 1)), at: performance.now() };
    this.#corpusStats.set(g, stats);
    return stats;
  }

  /** `df`: the frequencies #lookup read of the words in `looked`, which answer `has` for them without a round trip. */
  #vocabulary(g: number, looked: ReadonlySet<string>, df: ReadonlyMap<string, number>): Vocabulary {
    const terms = tables(g).terms;
    return {
      has: async (words) =>
        words.every((w) => looked.has(w))
          ? words.some((w) => (df.get(w) ?? 0) > 0)
          : Number(
              (await sql<{ n: string }>`select count(*) as n from ${sql.table(terms)} where term = any(${[...words]}::text[]) and df > 0`.execute(this.#db))
                .rows[0]?.n,
            ) > 0,
      candidates: async (first, min, max) =>
        (
          await sql<{ term: string }>`select term from ${sql.table(terms)} where df > 0 and left(term, 1) = ${first}
        and length(term) between ${min} and ${max} order by df desc limit 2000`.execute(this.#db)
        ).rows.map((r) => r.term),
    };
  }
}
