/** One searchable unit (a chunk of a document, or a whole short document) as every engine stores it. */
export interface SearchDocument {
  /** Unique key of the unit, e.g. `<documentId>:<chunk ordinal>`. */
  id: string;
  documentId: string;
  title: string;
  body: string;
  /** Facets and filters. */
  type?: string;
  language?: string;
  tags?: readonly string[];
  /** ISO-8601 timestamp; sorting by date and date-range filters use it. */
  date?: string;
}

export interface SearchFilters {
  type?: readonly string[];
  language?: readonly string[];
  /** Every listed tag must be present. */
  tags?: readonly string[];
  dateFrom?: string;
  dateTo?: string;
}

export type FacetName = 'type' | 'language' | 'tags';

export interface SearchQuery {
  q: string;
  /** `any` (default): a unit matching some of the words is found, ranked by BM25, which favours matching more; `all`: every word must match. */
  match?: 'any' | 'all';
  filters?: SearchFilters;
  facets?: readonly FacetName[];
  sort?: 'relevance' | 'date';
  limit?: number;
  offset?: number;
  /** Adds each hit's score explanation. */
  explain?: boolean;
}

export interface Highlight {
  /** The snippet with `<mark>` around matches; everything else HTML-escaped. */
  snippet: string;
  /** Matched spans in the original body (UTF-16 offsets, end exclusive), longest match kept where they overlap. */
  spans: Array<[number, number]>;
}

export interface SearchHit {
  id: string;
  documentId: string;
  title: string;
  score: number;
  date?: string;
  type?: string;
  language?: string;
  tags: string[];
  highlight: Highlight;
  titleHighlight: string;
  explain?: { engine: string; engineQuery: string; matchedTerms: string[] };
}

export interface SearchResult {
  total: number;
  hits: SearchHit[];
  facets: Partial<Record<FacetName, Record<string, number>>>;
}

export interface Suggestion {
  text: string;
  documentId: string;
}

export interface IndexStats {
  engine: string;
  documents: number;
  terms: number;
  generation: number;
}

/** A stored unit's id and a hash of its content: what reconciliation compares with the database. */
export interface IndexedEntry {
  id: string;
  hash: string;
}

/**
 * A full-text engine. Every implementation passes the same conformance suite
 * (test/conformance/search-engine-suite.ts) and gets its text through the same Analyzer.
 */
export interface SearchEngine {
  readonly name: string;
  /** Creates what the engine needs (tables, indexes); idempotent. */
  init(): Promise<void>;
  upsert(documents: readonly SearchDocument[]): Promise<void>;
  remove(ids: readonly string[]): Promise<void>;
  /** Removes every unit of these documents. */
  removeDocuments(documentIds: readonly string[]): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
  suggest(prefix: string, limit?: number): Promise<Suggestion[]>;
  /**
   * Builds a new index beside the live one from `source` and swaps it in atomically: searches keep
   * answering from the old index until the swap, and writes made meanwhile reach both.
   */
  rebuild(source: () => AsyncIterable<readonly SearchDocument[]>): Promise<{ indexed: number }>;
  entries(): AsyncIterable<IndexedEntry[]>;
  stats(): Promise<IndexStats>;
}
