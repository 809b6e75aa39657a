import type { estypes } from '@elastic/elasticsearch';

/**
 * One index per generation, behind the alias searches read. Our pre-segmented tokens (the shared
 * analysis, so rankings agree with the SQL engines) go into `whitespace` fields; the original title and
 * body carry Elasticsearch's built-in `cjk` bigram analysis (no plugin needed, offsets into the original
 * text), and optionally an IK sub-field where the analysis-ik plugin is installed.
 */
export function indexBody(options: { ik: boolean }): { settings: estypes.IndicesIndexSettings; mappings: estypes.MappingTypeMapping } {
  const tokens: estypes.MappingProperty = { type: 'text', analyzer: 'whitespace', similarity: 'BM25' };
  const original = (extra: Record<string, estypes.MappingProperty> = {}): estypes.MappingProperty => ({
    type: 'text',
    analyzer: 'cjk',
    index_options: 'offsets',
    fields: { ...extra, ...(options.ik ? { ik: { type: 'text', analyzer: 'ik_max_word', search_analyzer: 'ik_smart' } } : {}) },
  });
  return {
    settings: { number_of_shards: 1 },
    mappings: {
      dynamic: 'strict',
      properties: {
        id: { type: 'keyword' },
        document_id: { type: 'keyword' },
        title: original(),
        body: original(),
        title_terms: tokens,
        body_terms: tokens,
        sub_terms: tokens,
        bigram_terms: tokens,
        pinyin: tokens,
        words: { type: 'keyword' },
        type: { type: 'keyword' },
        language: { type: 'keyword' },
        tags: { type: 'keyword' },
        date: { type: 'date' },
        hash: { type: 'keyword', index: false },
      },
    },
  };
}

/** What one unit is stored as. */
export interface StoredUnit {
  id: string;
  document_id: string;
  title: string;
  body: string;
  title_terms: string;
  body_terms: string;
  sub_terms: string;
  bigram_terms: string;
  pinyin: string;
  words: string[];
  type: string | null;
  language: string | null;
  tags: string[];
  date: string | null;
  hash: string;
}
