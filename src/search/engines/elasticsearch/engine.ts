import type { Client, estypes } from '@elastic/elasticsearch';
import type { Analyzer } from '../../analysis/index.ts';
import { analyseDocument, documentHash } from '../../document-fields.ts';
import { planQuery } from '../../query/plan.ts';
import type { IndexedEntry, IndexStats, SearchDocument, SearchEngine, SearchQuery, SearchResult, Suggestion } from '../../types.ts';
import { checkFilters, distinctTitles, nearSpellings, page, pagedEntries, toHit, type Vocabulary } from '../shared.ts';
import { indexBody, type StoredUnit } from './mapping.ts';
import { compileQuery } from './query.ts';

const join = (tokens: ReadonlyArray<{ term: string }>): string => tokens.map((t) => t.term).join(' ');

/**
 * Elasticsearch / OpenSearch through the official client. Searches read the alias `<name>`; a rebuild fills
 * a new index behind the alias `<name>-building` (which writes also reach) and swaps both aliases in one
 * `_aliases` call, Elasticsearch's own zero-downtime reindex. NOT RUN against a real cluster yet: the
 * conformance suite runs when ELASTICSEARCH_URL is set (test/search/elasticsearch-engine.test.ts).
 */
export class ElasticsearchSearchEngine implements SearchEngine {
  readonly name = 'elasticsearch';
  readonly #client: Client;
  readonly #analyzer: Analyzer;
  readonly #alias: string;
  readonly #ik: boolean;

  constructor(client: Client, analyzer: Analyzer, options: { index?: string; ik?: boolean } = {}) {
    this.#client = client;
    this.#analyzer = analyzer;
    this.#alias = options.index ?? 'ai-stack-search';
    this.#ik = options.ik ?? false;
  }

  get #building(): string {
    return `${this.#alias}-building`;
  }

  async init(): Promise<void> {
    if (await this.#client.indices.existsAlias({ name: this.#alias })) return;
    const index = `${this.#alias}-1`;
    await this.#client.indices.create({ index, ...indexBody({ ik: this.#ik }), aliases: { [this.#alias]: {} } });
  }

  async upsert(documents: readonly SearchDocument[]): Promise<void> {
    if (documents.length === 0) return;
    for (const index of await this.#writeTargets()) await this.#write(index, documents);
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#deleteWhere({ terms: { id: [...ids] } });
  }

  async removeDocuments(documentIds: readonly string[]): Promise<void> {
    if (documentIds.length > 0) await this.#deleteWhere({ terms: { document_id: [...documentIds] } });
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const { limit, offset } = page(query);
    checkFilters(query.filters);
    const plan = planQuery(this.#analyzer, query.q);
    const extra = await nearSpellings(this.#analyzer, plan, this.#vocabulary());
    const compiled = compileQuery(plan, extra, query.match ?? 'any', query.filters);
    const facets = [...new Set(query.facets ?? [])];
    const response = await this.#client.search<StoredUnit>({
      index: this.#alias,
      query: compiled,
      from: offset,
      size: limit,
      track_total_hits: true,
      sort: query.sort === 'date' ? [{ date: { order: 'desc', missing: '_last' } }, '_score', { id: 'asc' }] : ['_score', { id: 'asc' }],
      aggs: Object.fromEntries(facets.map((facet) => [facet, { terms: { field: facet, size: 100 } }])),
    });
    const result: SearchResult = { total: totalOf(response.hits.total), hits: [], facets: {} };
    for (const facet of facets) {
      const buckets = (response.aggregations?.[facet] as estypes.AggregationsStringTermsAggregate | undefined)?.buckets;
      result.facets[facet] = Object.fromEntries((Array.isArray(buckets) ? buckets : []).map((b) => [String(b.key), b.doc_count]));
    }
    const explain = query.explain ? { engine: this.name, engineQuery: JSON.stringify(compiled) } : undefined;
    result.hits = response.hits.hits.flatMap((hit) => {
      const unit = hit._source;
      if (!unit) return [];
      return [toHit(this.#analyzer, plan, { ...unit, score: hit._score ?? 0 }, explain)];
    });
    return result;
  }

  async suggest(prefix: string, limit = 8): Promise<Suggestion[]> {
    const terms = this.#analyzer.analyze(prefix.trim().slice(0, 100), 'query').map((x) => x.term);
    if (terms.length === 0) return [];
    const joined = terms.join(' ');
    // Latin letters may be pinyin (wx → 微信): matched against the start of each pinyin word.
    const pinyin: estypes.QueryDslQueryContainer[] = /^[a-z0-9 ]+$/.test(joined) ? [{ prefix: { pinyin: terms.join('') } }] : [];
    const response = await this.#client.search<StoredUnit>({
      index: this.#alias,
      size: 200,
      _source: ['title', 'document_id'],
      query: { bool: { should: [{ match_phrase_prefix: { title_terms: joined } }, ...pinyin], minimum_should_match: 1 } },
    });
    return distinctTitles(
      response.hits.hits.flatMap((h) => (h._source ? [h._source] : [])),
      limit,
    );
  }

  async rebuild(source: () => AsyncIterable<readonly SearchDocument[]>): Promise<{ indexed: number }> {
    const live = await this.#indicesOf(this.#alias);
    const generation = Math.max(0, ...live.map(generationOf)) + 1;
    const next = `${this.#alias}-${generation}`;
    await this.#client.indices.create({ index: next, ...indexBody({ ik: this.#ik }), aliases: { [this.#building]: {} } });
    let indexed = 0;
    try {
      for await (const batch of source()) {
        if (batch.length > 0) await this.#write(next, batch);
        indexed += batch.length;
      }
      // One _aliases call: searches see the old index or the new one, never neither.
      await this.#client.indices.updateAliases({
        actions: [
          ...live.map((index) => ({ remove: { index, alias: this.#alias } })),
          { add: { index: next, alias: this.#alias } },
          { remove: { index: next, alias: this.#building } },
        ],
      });
    } catch (error) {
      await this.#client.indices.delete({ index: next, ignore_unavailable: true }).catch(() => undefined);
      throw error;
    }
    setTimeout(
      () => void Promise.all(live.map((index) => this.#client.indices.delete({ index, ignore_unavailable: true }))).catch(() => undefined),
      5_000,
    ).unref();
    return { indexed };
  }

  async *entries(): AsyncIterable<IndexedEntry[]> {
    yield* pagedEntries(async (after) => {
      const response = await this.#client.search<StoredUnit>({
        index: this.#alias,
        size: 1000,
        _source: ['id', 'hash'],
        sort: [{ id: 'asc' }],
        query: { range: { id: { gt: after } } },
      });
      return response.hits.hits.flatMap((h) => (h._source ? [{ id: h._source.id, hash: h._source.hash }] : []));
    });
  }

  async stats(): Promise<IndexStats> {
    const [index] = await this.#indicesOf(this.#alias);
    const count = await this.#client.count({ index: this.#alias });
    const words = await this.#client.search({ index: this.#alias, size: 0, aggs: { terms: { cardinality: { field: 'words' } } } });
    const terms = (words.aggregations?.['terms'] as estypes.AggregationsCardinalityAggregate | undefined)?.value ?? 0;
    return { engine: this.name, documents: count.count, terms, generation: index ? generationOf(index) : 0 };
  }

  /** The live index and, during a rebuild, the one being filled. */
  async #writeTargets(): Promise<string[]> {
    return [...new Set([...(await this.#indicesOf(this.#alias)), ...(await this.#indicesOf(this.#building))])];
  }

  async #indicesOf(alias: string): Promise<string[]> {
    if (!(await this.#client.indices.existsAlias({ name: alias }))) return [];
    return Object.keys(await this.#client.indices.getAlias({ name: alias }));
  }

  /** Units replace their previous version (the unit id is the document _id); visible to searches on return. */
  async #write(index: string, documents: readonly SearchDocument[]): Promise<void> {
    const operations = documents.flatMap((doc) => [{ index: { _index: index, _id: doc.id } }, this.#stored(doc)]);
    const response = await this.#client.bulk({ operations, refresh: 'wait_for' });
    if (response.errors) {
      const failed = response.items.find((item) => item.index?.error)?.index?.error;
      throw new Error(`Elasticsearch refused a unit: ${failed?.type ?? 'unknown'}: ${failed?.reason ?? ''}`);
    }
  }

  #stored(doc: SearchDocument): StoredUnit {
    const fields = analyseDocument(this.#analyzer, doc);
    return {
      id: doc.id,
      document_id: doc.documentId,
      title: doc.title,
      body: doc.body,
      title_terms: join(fields.title),
      body_terms: join(fields.body),
      sub_terms: join(fields.sub),
      bigram_terms: join(fields.bigrams),
      pinyin: fields.pinyin.join(' '),
      words: fields.words,
      type: doc.type ?? null,
      language: doc.language ?? null,
      tags: [...new Set(doc.tags ?? [])],
      date: doc.date ?? null,
      hash: documentHash(doc),
    };
  }

  async #deleteWhere(query: estypes.QueryDslQueryContainer): Promise<void> {
    for (const index of await this.#writeTargets()) await this.#client.deleteByQuery({ index, query, refresh: true, conflicts: 'proceed' });
  }

  #vocabulary(): Vocabulary {
    return {
      has: async (terms) =>
        (
          await this.#client.count({
            index: this.#alias,
            query: { bool: { should: [{ terms: { words: [...terms] } }, { terms: { body_terms: [...terms] } }] } },
          })
        ).count > 0,
      // The terms enum API lists indexed keywords by prefix: the unstemmed words typo tolerance compares.
      candidates: async (first, min, max) =>
        (await this.#client.termsEnum({ index: this.#alias, field: 'words', string: first, size: 2000 })).terms.filter(
          (t) => t.length >= min && t.length <= max,
        ),
    };
  }
}

function totalOf(total: number | estypes.SearchTotalHits | undefined): number {
  return typeof total === 'number' ? total : (total?.value ?? 0);
}

function generationOf(index: string): number {
  return Number(/-(\d+)$/.exec(index)?.[1] ?? 0);
}
