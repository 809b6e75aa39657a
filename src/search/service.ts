import { sql, type Kysely } from 'kysely';
import { ValidationError } from '../shared/errors.ts';
import type { Analyzer, AnalysisMode, AnalyzerSettings, Token } from './analysis/index.ts';
import { documentHash } from './document-fields.ts';
import { MAX_LIMIT, checkFilters, page } from './engines/shared.ts';
import { admissible, fuse, vectorText } from './hybrid.ts';
import { planQuery } from './query/plan.ts';
import type { SearchDocument, SearchEngine, SearchQuery, SearchResult, Suggestion } from './types.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the search tables are not part of the app's typed schema
type AnyDb = Kysely<any>;

async function* oneBatch(load: () => Promise<SearchDocument[]>): AsyncIterable<SearchDocument[]> {
  yield await load();
}

/** Where indexed units come from (the documents module's ready chunks): the source of truth. */
export interface SearchSource {
  /** The units of these documents as they should be indexed; none for a document that is gone or not ready. */
  load(documentIds: readonly string[]): Promise<SearchDocument[]>;
  /** Every unit that should be in the index, in batches. */
  all(): AsyncIterable<SearchDocument[]>;
  /** The units of these documents in batches (a source that has it spares indexing a huge document from holding it all). */
  pages?(documentIds: readonly string[]): AsyncIterable<SearchDocument[]>;
}

/** Nearest units by meaning, for hybrid and vector search (the documents module's vectors in the app). */
export interface VectorSource {
  /** Up to `k` unit ids, nearest first; none where nothing has been vectorised. */
  nearest(text: string, k: number): Promise<string[]>;
  /**
   * How much the vector ranking counts in hybrid fusion against the lexical one (1, the default: plain RRF).
   * Below 1 for vectors that rank the same characters the lexical side already matches, only worse.
   */
  readonly weight?: number;
}

export type SearchMode = 'lexical' | 'vector' | 'hybrid';

export interface ReconcileReport {
  checked: number;
  missing: number;
  stale: number;
  orphaned: number;
  repaired: number;
}

const MAX_DICTIONARY_WORDS = 20_000;
const MAX_SYNONYM_GROUPS = 5_000;
/** How often another process's dictionary or synonym change is picked up. */
const SETTINGS_CHECK_MS = 5_000;

/**
 * Search as the application uses it: one engine, the shared analyser with its user dictionary and
 * synonyms (stored in the database so every node uses the same, reloaded without a restart), indexing
 * from the source, zero-downtime rebuilds, reconciliation, and hybrid ranking when vectors exist.
 */
export class SearchService {
  readonly engine: SearchEngine;
  readonly analyzer: Analyzer;
  readonly #db: AnyDb;
  readonly #source: SearchSource;
  readonly #vectors: VectorSource | undefined;
  #settingsVersion = -1;
  #settingsCheckedAt = 0;

  constructor(options: { db: AnyDb; engine: SearchEngine; analyzer: Analyzer; source: SearchSource; vectors?: VectorSource }) {
    this.#db = options.db;
    this.engine = options.engine;
    this.analyzer = options.analyzer;
    this.#source = options.source;
    this.#vectors = options.vectors;
  }

  async init(): Promise<void> {
    await sql`create table if not exists search_settings (name varchar(32) primary key, value text not null, version integer not null)`.execute(this.#db);
    await this.engine.init();
    await this.#refreshSettings(true);
  }

  /** Re-reads a document's units from the source: new, edited and deleted units all follow. */
  async indexDocuments(documentIds: readonly string[]): Promise<number> {
    const pages = this.#source.pages?.(documentIds) ?? oneBatch(() => this.#source.load(documentIds));
    await this.engine.removeDocuments(documentIds);
    let indexed = 0;
    for await (const units of pages) {
      await this.engine.upsert(units);
      indexed += units.length;
    }
    return indexed;
  }

  removeDocuments(documentIds: readonly string[]): Promise<void> {
    return this.engine.removeDocuments(documentIds);
  }

  rebuild(): Promise<{ indexed: number }> {
    return this.engine.rebuild(() => this.#source.all());
  }

  /** Compares the source with the index (missing, stale and orphaned units) and repairs the difference. */
  async reconcile(): Promise<ReconcileReport> {
    const indexed = new Map<string, string>();
    for await (const page of this.engine.entries()) for (const entry of page) indexed.set(entry.id, entry.hash);
    const report: ReconcileReport = { checked: 0, missing: 0, stale: 0, orphaned: 0, repaired: 0 };
    for await (const batch of this.#source.all()) {
      const repair: SearchDocument[] = [];
      for (const unit of batch) {
        report.checked++;
        const hash = indexed.get(unit.id);
        indexed.delete(unit.id);
        if (hash === undefined) report.missing++;
        else if (hash !== documentHash(unit)) report.stale++;
        else continue;
        repair.push(unit);
      }
      await this.engine.upsert(repair);
      report.repaired += repair.length;
    }
    report.orphaned = indexed.size;
    await this.engine.remove([...indexed.keys()]);
    report.repaired += indexed.size;
    return report;
  }

  /**
   * `mode` defaults to hybrid where vectors exist: with a vector source that finds no neighbour (no
   * document vectorised yet), the lexical result is returned as it is, reported as `mode: 'lexical'`.
   */
  async search(query: SearchQuery & { mode?: SearchMode }): Promise<SearchResult & { mode: SearchMode }> {
    await this.#refreshSettings();
    const mode = query.mode ?? (this.#vectors ? 'hybrid' : 'lexical');
    if (mode !== 'lexical' && !this.#vectors)
      throw new ValidationError(`mode=${mode} needs document vectors, and none are configured`, [{ field: 'mode', message: 'use lexical' }]);
    // Sorting by date has no use for a fused relevance ranking: it is the lexical result in date order.
    if (mode === 'lexical' || query.sort === 'date' || !this.#vectors) return { ...(await this.engine.search(query)), mode: 'lexical' };
    const { limit, offset } = page(query);
    checkFilters(query.filters);
    const plan = planQuery(this.analyzer, query.q);
    const depth = Math.min(MAX_LIMIT, offset + limit) * 2;
    const candidates = await this.#vectors.nearest(vectorText(query.q), depth);
    if (candidates.length === 0 && query.mode === undefined) return { ...(await this.engine.search(query)), mode: 'lexical' };
    const lexical = mode === 'hybrid' ? await this.engine.search({ ...query, limit: Math.min(depth, MAX_LIMIT), offset: 0 }) : undefined;
    const units = new Map((await this.#units(candidates)).map((u) => [u.id, u]));
    // Vector neighbours obey the same filters and exclusions as lexical hits.
    const nearest = candidates.filter((id) => units.has(id) && admissible(this.analyzer, plan, units.get(id) as SearchDocument, query.filters));
    return { ...fuse({ analyzer: this.analyzer, plan, lexical, nearest, units, offset, limit, vectorWeight: this.#vectors.weight ?? 1 }), mode };
  }

  async suggest(prefix: string, limit?: number): Promise<Suggestion[]> {
    await this.#refreshSettings();
    return this.engine.suggest(prefix, limit);
  }

  async analyze(text: string, mode: AnalysisMode): Promise<{ tokens: Token[]; bigrams: Token[]; pinyin: { full: string[]; initials: string[] } }> {
    await this.#refreshSettings();
    return { tokens: this.analyzer.analyze(text, mode), bigrams: this.analyzer.bigrams(text), pinyin: this.analyzer.pinyin(text) };
  }

  async settings(): Promise<Required<AnalyzerSettings>> {
    const { rows } = await sql<{ name: string; value: string }>`select name, value from search_settings`.execute(this.#db);
    const read = <T>(name: string, fallback: T): T => {
      const row = rows.find((r) => r.name === name);
      return row ? (JSON.parse(row.value) as T) : fallback;
    };
    return { dictionary: read<string[]>('dictionary', []), synonyms: read<string[][]>('synonyms', []) };
  }

  /** Replaces the user dictionary or the synonyms, for this node at once and for the others within seconds. */
  async updateSettings(update: AnalyzerSettings): Promise<Required<AnalyzerSettings>> {
    if (update.dictionary && update.dictionary.length > MAX_DICTIONARY_WORDS)
      throw new ValidationError(`At most ${MAX_DICTIONARY_WORDS} dictionary words`, [{ field: 'dictionary', message: 'too many words' }]);
    if (update.synonyms && update.synonyms.length > MAX_SYNONYM_GROUPS)
      throw new ValidationError(`At most ${MAX_SYNONYM_GROUPS} synonym groups`, [{ field: 'synonyms', message: 'too many groups' }]);
    await this.#db.transaction().execute(async (trx) => {
      for (const [name, value] of Object.entries(update)) {
        if (value === undefined) continue;
        await sql`insert into search_settings (name, value, version) values (${name}, ${JSON.stringify(value)}, 1)
          on conflict (name) do update set value = excluded.value, version = search_settings.version + 1`.execute(trx);
      }
    });
    await this.#refreshSettings(true);
    return this.settings();
  }

  async #refreshSettings(force = false): Promise<void> {
    if (!force && Date.now() - this.#settingsCheckedAt < SETTINGS_CHECK_MS) return;
    this.#settingsCheckedAt = Date.now();
    const { rows } = await sql<{ v: number | string | null }>`select sum(version) as v from search_settings`.execute(this.#db);
    const version = Number(rows[0]?.v ?? 0);
    if (version === this.#settingsVersion && !force) return;
    this.#settingsVersion = version;
    this.analyzer.reload(await this.settings());
  }

  async #units(ids: readonly string[]): Promise<SearchDocument[]> {
    const documents = [...new Set(ids.map((id) => id.slice(0, id.lastIndexOf(':'))))];
    const wanted = new Set(ids);
    return (await this.#source.load(documents)).filter((unit) => wanted.has(unit.id));
  }
}
