import { debianReference, type KnownItem } from '../../eval/search/retrieval.ts';
import type { SearchDocument } from '../../src/search/index.ts';

/** Known-item queries whose answer is any chunk of one section, in any of its copies. */
export interface BenchQuery {
  q: string;
  language: 'zh-cn' | 'en';
  relevant: Set<string>;
}

export interface BenchCorpus {
  chunks: SearchDocument[];
  queries: BenchQuery[];
  bytes: number;
}

const CHUNK_CHARS = 400;

/** A section's text in chunks of about 400 characters, cut after a sentence end where one is near. */
function chunksOf(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > CHUNK_CHARS * 1.5) {
    const window = rest.slice(0, CHUNK_CHARS * 1.25);
    const cut = Math.max(window.lastIndexOf('。'), window.lastIndexOf('. '), window.lastIndexOf('；'));
    const at = cut > CHUNK_CHARS / 2 ? cut + 1 : CHUNK_CHARS;
    out.push(rest.slice(0, at).trim());
    rest = rest.slice(at);
  }
  if (rest.trim().length > 0) out.push(rest.trim());
  return out;
}

/** Copy k of a chunk: its sentences rotated by k, so copies are not byte-identical but answer the same queries. */
function variant(text: string, k: number): string {
  if (k === 0) return text;
  const sentences = text.split(/(?<=[。！？；.!?])\s*/u).filter((s) => s.length > 0);
  if (sentences.length < 2) return `${text} (${k})`;
  const shift = k % sentences.length;
  return [...sentences.slice(shift), ...sentences.slice(0, shift)].join(' ');
}

/**
 * At least `size` chunks of mixed Chinese and English text: the Debian Reference's sections in both
 * languages (the eval:search known-item set), chunked, then repeated with variation until large enough.
 * The queries are the section headings; every chunk of the heading's section, in every copy, answers it.
 */
export function benchCorpus(size: number): BenchCorpus {
  const sections: Array<{ doc: SearchDocument; item: KnownItem; language: 'zh-cn' | 'en'; parts: string[] }> = [];
  for (const language of ['zh-cn', 'en'] as const) {
    const { documents, items } = debianReference(language);
    documents.forEach((doc, k) => sections.push({ doc, item: items[k] as KnownItem, language, parts: chunksOf(doc.body) }));
  }
  const perCopy = sections.reduce((sum, s) => sum + s.parts.length, 0);
  if (perCopy === 0) return { chunks: [], queries: [], bytes: 0 };
  const copies = Math.max(1, Math.ceil(size / perCopy));
  const chunks: SearchDocument[] = [];
  const relevant = new Map<string, Set<string>>();
  for (let copy = 0; copy < copies; copy++) {
    for (const section of sections) {
      const documentId = `${section.doc.id}~${copy}`;
      section.parts.forEach((part, ordinal) => {
        const id = `${documentId}:${ordinal}`;
        chunks.push({ id, documentId, title: '', body: variant(part, copy), language: section.language });
        const set = relevant.get(section.item.target) ?? new Set<string>();
        set.add(id);
        relevant.set(section.item.target, set);
      });
    }
  }
  const queries = sections.map((s) => ({
    q: s.item.query.replace(/["*]/g, ' '),
    language: s.language,
    relevant: relevant.get(s.item.target) ?? new Set<string>(),
  }));
  const bytes = chunks.reduce((sum, c) => sum + Buffer.byteLength(c.body), 0);
  return { chunks, queries, bytes };
}

/** MRR@10 of a ranking function over the queries: the first relevant id's reciprocal rank. */
export async function mrr10(queries: readonly BenchQuery[], search: (q: string) => Promise<string[]>): Promise<number> {
  let sum = 0;
  for (const query of queries) {
    const ids = await search(query.q).catch(() => [] as string[]);
    const rank = ids.slice(0, 10).findIndex((id) => query.relevant.has(id));
    if (rank !== -1) sum += 1 / (rank + 1);
  }
  return sum / queries.length;
}
