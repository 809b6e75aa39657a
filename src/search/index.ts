/**
 * Full-text search for Chinese and English: one analysis pipeline (src/search/analysis) and one query
 * language for every engine, SQLite FTS5 embedded and PostgreSQL full-text search distributed, each held to
 * the same conformance suite (Elasticsearch/OpenSearch too, not yet run against a cluster). See docs/search.md.
 */
export { Analyzer, normalize, type AnalysisMode, type AnalyzerSettings, type Token } from './analysis/index.ts';
export { parseQuery, MAX_QUERY_LENGTH, type ParsedClause, type ParsedQuery } from './query/parse.ts';
export { planQuery, type QueryPlan, type PlanGroup, type TermMatch } from './query/plan.ts';
export { highlight, matchSpans } from './highlight.ts';
export { documentHash } from './document-fields.ts';
export { SqliteSearchEngine } from './engines/sqlite/engine.ts';
export { PostgresSearchEngine } from './engines/postgres/engine.ts';
export { ElasticsearchSearchEngine } from './engines/elasticsearch/engine.ts';
export type * from './types.ts';
export { SearchService, type SearchSource, type VectorSource, type SearchMode, type ReconcileReport } from './service.ts';
export { searchRoutes, searchAdminRoutes } from './routes.ts';
