import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Analyzer } from '../../analysis/index.ts';
import { analyseDocument, documentHash } from '../../document-fields.ts';
import { ensureMeta, inEveryWriteTarget, readGenerations, rebuildGeneration } from '../../generations.ts';
import { planQuery, type QueryPlan, type TermMatch } from '../../query/plan.ts';
import type { IndexedEntry, IndexStats, SearchDocument, SearchEngine, SearchQuery, SearchResult, Suggestion } from '../../types.ts';
import { checkFilters, counts, distinctTitles, indexStats, nearSpellings, page, pagedEntries, toHit, type StoredRow, type Vocabulary } from '../shared.ts';
import { createGeneration, dropGeneration, tables } from './schema.ts';
import { compileTsquery, groupQuery, indexedLength, tsvectorLiteral } from './tsvector.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the search tables are not part of the app's typed schema
type AnyDb = Kysely<any>;

/** ts_rank weights {D, C, B, A}: bigrams and unstemmed words, sub-words, body, title (SQLite's bm25 column weights ÷ 8). */
const WEIGHTS = '{0,0.0375,0.125,1}';
/** ts_rank_cd of a term sums its occurrences' weights: ÷ the body weight, a body occurrence counts 1. */
const RANK_TO_TF = 1 / 0.125;
/** Lucene's and SQLite's BM25 defaults. */
const BM25_K1 = 1.2;
const BM25_B = 0.75;
const CORPUS_STATS_MS = 2_000;

/**
 * PostgreSQL full-text search over our own tokens (a tsvector written from the shared analysis, GIN index).
 * Ranking is BM25-like: each query group's ts_rank (length-normalised term frequency) times its IDF,
 * from document frequencies kept with every write.
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
    await ensureMeta(this.#db);
    await createGeneration(this.#db, (await readGenerations(this.#db)).active);
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
    const g = (await readGenerations(this.#db)).active;
    const t = tables(g);
    const extra = await nearSpellings(this.#analyzer, plan, this.#vocabulary(g));
    const tsquery = compileTsquery(plan, extra, query.match ?? 'any');
    const where = sql`d.tsv @@ ${tsquery}::tsquery${this.#filters(query)}`;
    const from = sql`from ${sql.table(t.docs)} d`;
    const bm25 = await this.#score(plan, extra, g);
    // Each group's rank is computed once per match in the fenced subquery (OFFSET 0 keeps PostgreSQL from inlining it
    // and evaluating every ts_rank_cd twice), only ids and scores are sorted, and the stored text is read for the page.
    // The total comes with the page, a window count over the rows already matched: a second statement counting them
    // ran the scan and its recheck of every row's tsvector again. Only a page past the last match counts apart.
    // (Measured and dropped: a one-call ts_rank_cd of all groups keeping the best 200 or 1,000 matches for exact BM25
    // lowered MRR@10 on the benchmark's corpus, 0.588 → 0.550 / 0.583: it has no IDF.)
    const ranks = bm25.ranks.map((rank, k) => sql`${rank} as ${sql.ref(`r${k}`)}`);
    const score = bm25.combine((k) => sql.ref(`x.r${k}`), sql.ref('x.len'));
    const scored = sql`select x.id, x.date, x.total, ${score} as score
      from (select d.id, d.date, coalesce(d.len, length(d.tsv)) as len, count(*) over () as total${ranks.length > 0 ? sql`, ${sql.join(ranks)}` : sql``}
      ${from} where ${where} offset 0) x`;
    const order = query.sort === 'date' ? sql`date desc nulls last, score desc` : sql`score desc`;
    const { rows: top } = await sql<{ id: string; score: number; total: string }>`select id, score, total
      from (${scored}) s order by ${order}, id limit ${limit} offset ${offset}`.execute(this.#db);
    const { rows: stored } =
      top.length === 0
        ? { rows: [] }
        : await sql<Omit<StoredRow, 'score'> & { date: Date | null }>`select id, document_id, title, body, type, language, date, tags
      from ${sql.table(t.docs)} where id = any(${top.map((r) => r.id)}::text[])`.execute(this.#db);
    const byId = new Map(stored.map((r) => [r.id, r]));
    const rows = top.flatMap((r) => {
      const doc = byId.get(r.id);
      return doc ? [{ ...doc, score: r.score }] : [];
    });
    const total =
      top.length > 0 || offset === 0
        ? Number(top[0]?.total ?? 0)
        : Number((await sql<{ n: string }>`select count(*) as n ${from} where ${where}`.execute(this.#db)).rows[0]?.n ?? 0);
    const facets: SearchResult['facets'] = {};
    for (const facet of new Set(query.facets ?? [])) {
      const value = facet === 'tags' ? sql`unnest(d.tags)` : sql`d.${sql.ref(facet)}`;
      const { rows: facetRows } = await sql<{
        value: string;
        n: string;
      }>`select value, count(*) as n from (select ${value} as value ${from} where ${where}) v group by value`.execute(this.#db);
      facets[facet] = counts(facetRows);
    }
    const explain = query.explain ? { engine: this.name, engineQuery: tsquery } : undefined;
    const hits = rows.map((r) =>
      toHit(this.#analyzer, plan, { ...r, date: r.date === null ? null : new Date(r.date).toISOString(), score: Number(r.score) }, explain),
    );
    return { total, hits, facets };
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
    return rebuildGeneration(this.#db, { create: createGeneration, drop: dropGeneration, write: (db, g, units) => this.#write(db, g, units) }, source);
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

  async #write(db: AnyDb, g: number, documents: readonly SearchDocument[]): Promise<void> {
    const t = tables(g);
    this.#corpusStats.delete(g);
    await this.#deleteWhere(db, g, sql`id = any(${documents.map((d) => d.id)}::text[])`);
    for (const doc of documents) {
      const fields = analyseDocument(this.#analyzer, doc);
      const tsv = tsvectorLiteral(fields);
      await sql`insert into ${sql.table(t.docs)} (id, document_id, title, body, type, language, date, tags, pinyin, hash, tsv, len)
        values (${doc.id}, ${doc.documentId}, ${doc.title}, ${doc.body}, ${doc.type ?? null}, ${doc.language ?? null}, ${doc.date ?? null}, ${[...new Set(doc.tags ?? [])]}::text[],
        ${fields.pinyin.join(' ')}, ${documentHash(doc)}, ${tsv}::tsvector, ${indexedLength(fields)})`.execute(db);
      // Sorted, so concurrent writers lock term rows in the same order.
      await sql`insert into ${sql.table(t.terms)} (term, df) select term, 1 from unnest(tsvector_to_array(${tsv}::tsvector)) as term order by term
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
    const { rows } = await sql<{ tsv: string }>`delete from ${sql.table(t.docs)} where ${condition} returning tsv::text as tsv`.execute(db);
    for (const row of rows) {
      await sql`update ${sql.table(t.terms)} set df = df - 1 where term in (select term from unnest(tsvector_to_array(${row.tsv}::tsvector)) as term order by term)`.execute(
        db,
      );
    }
  }

  #filters(query: SearchQuery): RawBuilder<unknown> {
    const f = query.filters ?? {};
    const parts: Array<RawBuilder<unknown>> = [];
    if (f.type?.length) parts.push(sql`d.type = any(${[...f.type]}::text[])`);
    if (f.language?.length) parts.push(sql`d.language = any(${[...f.language]}::text[])`);
    if (f.tags?.length) parts.push(sql`d.tags @> ${[...f.tags]}::text[]`);
    if (f.dateFrom) parts.push(sql`d.date >= ${new Date(f.dateFrom).toISOString()}::timestamptz`);
    if (f.dateTo) parts.push(sql`d.date <= ${new Date(f.dateTo).toISOString()}::timestamptz`);
    return parts.length === 0 ? sql`` : sql` and ${sql.join(parts, sql` and `)}`;
  }

  /**
   * BM25 as SQLite's bm25() computes it: for each query group, IDF × f·(k1 + 1) / (f + k1·(1 − b + b·dl/avgdl)),
   * where f is the group's weighted term frequency (a body occurrence 1, a title one 8, a sub-word 0.3),
   * which ts_rank_cd gives for a single term or phrase (the sum of its occurrences' weights), and dl counts
   * every indexed token as FTS5 does. Bigram alternatives widen the match but are left out of f, as their
   * SQLite column weight is 0. Measured on the Debian Reference (npm run eval:search), Chinese MRR@10:
   * ts_rank with log-length normalisation 0.684; without the bigrams in the rank query 0.692; this 0.712.
   */
  async #score(
    plan: QueryPlan,
    extra: ReadonlyMap<TermMatch, readonly string[]>,
    g: number,
  ): Promise<{ ranks: Array<RawBuilder<unknown>>; combine: (rank: (k: number) => RawBuilder<unknown>, len: RawBuilder<unknown>) => RawBuilder<unknown> }> {
    const t = tables(g);
    const groups = plan.groups.filter((group) => !group.negate);
    const terms = [...new Set(groups.flatMap((group) => group.alternatives[0]?.terms ?? []))];
    const { rows } = await sql<{ term: string; df: number }>`select term, df from ${sql.table(t.terms)} where term = any(${terms}::text[])`.execute(this.#db);
    const { n, avgdl } = await this.#corpus(g);
    const df = new Map(rows.map((r) => [r.term, Number(r.df)]));
    const idf = (term: string) => Math.log(1 + (n - (df.get(term) ?? 0) + 0.5) / ((df.get(term) ?? 0) + 0.5));
    const ranks = groups.map((group) => {
      const ranked = group.alternatives.filter((a) => a.field === 'text');
      return sql`(ts_rank_cd(${WEIGHTS}::float4[], d.tsv, ${groupQuery(ranked.length > 0 ? ranked : group.alternatives, extra)}::tsquery, 0) * ${RANK_TO_TF}::float8)`;
    });
    const weights = groups.map((group) => {
      const primary = group.alternatives[0]?.terms ?? [];
      return primary.length === 0 ? 1 : primary.reduce((sum, term) => sum + idf(term), 0) / primary.length;
    });
    const combine = (rank: (k: number) => RawBuilder<unknown>, len: RawBuilder<unknown>): RawBuilder<unknown> => {
      if (weights.length === 0) return sql`0::float8`;
      const lengthNorm = sql`${BM25_K1}::float8 * (1 - ${BM25_B}::float8 + ${BM25_B}::float8 * ${len} / ${avgdl}::float8)`;
      return sql.join(
        weights.map((weight, k) => sql`${weight}::float8 * ${rank(k)} * ${BM25_K1 + 1}::float8 / (${rank(k)} + ${lengthNorm})`),
        sql` + `,
      );
    };
    return { ranks, combine };
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

  #vocabulary(g: number): Vocabulary {
    const terms = tables(g).terms;
    return {
      has: async (words) =>
        Number(
          (await sql<{ n: string }>`select count(*) as n from ${sql.table(terms)} where term = any(${[...words]}::text[]) and df > 0`.execute(this.#db)).rows[0]
            ?.n,
        ) > 0,
      candidates: async (first, min, max) =>
        (
          await sql<{ term: string }>`select term from ${sql.table(terms)} where df > 0 and left(term, 1) = ${first}
        and length(term) between ${min} and ${max} order by df desc limit 2000`.execute(this.#db)
        ).rows.map((r) => r.term),
    };
  }
}
