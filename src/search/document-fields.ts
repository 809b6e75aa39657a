import { createHash } from 'node:crypto';
import type { Analyzer, Token } from './analysis/index.ts';
import type { SearchDocument } from './types.ts';

/** A unit's analysed fields, as every engine indexes them. */
export interface AnalysedFields {
  title: Token[];
  body: Token[];
  /** Sub-words of long CJK words in title and body (search mode). */
  sub: Token[];
  bigrams: Token[];
  /** Full pinyin and initials of the title's Han words. */
  pinyin: string[];
  /** Latin words as written (unstemmed), once each: the vocabulary typo tolerance searches. */
  words: string[];
}

export function analyseDocument(analyzer: Analyzer, doc: SearchDocument): AnalysedFields {
  const title = analyzer.analyze(doc.title, 'index');
  const body = analyzer.analyze(doc.body, 'index');
  const { full, initials } = analyzer.pinyin(doc.title);
  return {
    title: title.filter((t) => !t.sub),
    body: body.filter((t) => !t.sub),
    sub: [...title, ...body].filter((t) => t.sub),
    bigrams: [...analyzer.bigrams(doc.title), ...analyzer.bigrams(doc.body)],
    // Each word's, and the whole title's run of them, so `ndbg` and `niandubaogao` both suggest 年度报告.
    pinyin: [...full, ...initials, full.join(''), initials.join('')].filter((p) => p.length > 0),
    words: [...new Set([...title, ...body].flatMap((t) => (t.surface ? [t.surface] : [])))],
  };
}

/** What reconciliation compares: a unit is stale when its database form hashes differently from its indexed form. */
export function documentHash(doc: SearchDocument): string {
  const tags = [...(doc.tags ?? [])].sort();
  return createHash('sha256')
    .update(JSON.stringify([doc.id, doc.documentId, doc.title, doc.body, doc.type ?? null, doc.language ?? null, tags, doc.date ?? null]))
    .digest('base64url')
    .slice(0, 22);
}
