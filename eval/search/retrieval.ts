/**
 * Known-item retrieval on the Debian Reference (Debian packages `debian-reference-zh-cn` and
 * `debian-reference-en`, GPL-2+, read from /usr/share/debian-reference at run time, never copied here):
 * every section is a document whose heading is removed from its text; the heading is the query; the
 * section is the one right answer. Reports MRR@10 and recall@10 per engine and language.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SearchDocument } from '../../src/search/index.ts';

export const DEBIAN_REFERENCE = '/usr/share/debian-reference';

export interface KnownItem {
  query: string;
  target: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
const text = (html: string): string =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x?[0-9a-f]+|\w+);/gi, (entity, name: string) =>
      name.startsWith('#') ? String.fromCodePoint(Number.parseInt(name.slice(name[1] === 'x' ? 2 : 1), name[1] === 'x' ? 16 : 10)) : (ENTITIES[name] ?? entity),
    )
    .replace(/\s+/g, ' ')
    .trim();

/** Sections of the installed Debian Reference in one language ("zh-cn", "en"); empty when not installed. */
export function debianReference(language: 'zh-cn' | 'en'): { documents: SearchDocument[]; items: KnownItem[] } {
  const documents: SearchDocument[] = [];
  const items: KnownItem[] = [];
  if (!existsSync(DEBIAN_REFERENCE)) return { documents, items };
  const files = readdirSync(DEBIAN_REFERENCE)
    .filter((f) => new RegExp(`^(ch\\d+|ap[a-z])\\.${language}\\.html$`).test(f))
    .sort();
  for (const file of files) {
    const html = readFileSync(join(DEBIAN_REFERENCE, file), 'utf8');
    const headings = [...html.matchAll(/<h([2-4]) class="title"[^>]*>([\s\S]*?)<\/h\1>/g)];
    headings.forEach((heading, k) => {
      const end = headings[k + 1]?.index ?? html.length;
      const body = text(html.slice((heading.index ?? 0) + heading[0].length, end));
      const title = text(heading[2] ?? '').replace(/^[A-Z\d]+(\.\d+)*\.\s*/u, '');
      if (body.length < 80 || title.length < 2) return;
      const id = `${file}#${k}`;
      documents.push({ id, documentId: id, title: '', body, language });
      items.push({ query: title, target: id });
    });
  }
  return { documents, items };
}

export interface RetrievalScores {
  mrr10: number;
  recall10: number;
  queries: number;
}

/** `search` answers a query with unit ids, best first (an engine, or the service in one of its modes). */
export async function evaluate(search: (q: string) => Promise<string[]>, items: readonly KnownItem[]): Promise<RetrievalScores> {
  let reciprocal = 0;
  let found = 0;
  for (const item of items) {
    // Headings are searched as typed (quotes and stars dropped, so none is read as syntax).
    const q = item.query.replace(/["*]/g, ' ');
    let ids: string[];
    try {
      ids = (await search(q)).slice(0, 10);
    } catch {
      ids = [];
    }
    const rank = ids.indexOf(item.target);
    if (rank !== -1) {
      reciprocal += 1 / (rank + 1);
      found++;
    }
  }
  return { mrr10: reciprocal / items.length, recall10: found / items.length, queries: items.length };
}
