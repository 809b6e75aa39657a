import { createHash } from 'node:crypto';

/**
 * Normalises SQL the way pg_stat_statements groups statements: literals and placeholders become
 * `?`, lists of them collapse, multi-row VALUES collapse, whitespace and case of keywords fold.
 * So `where id = 5`, `where id = $1` and `where id = ?` share one fingerprint, and literal values
 * (possibly personal data) never reach the statistics.
 */
export function normalizeSql(text: string): string {
  return text
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\d+|\?/g, '?')
    .replace(/(?<![\w"$.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w"])/gi, '?')
    .replace(/\b(true|false|null)\b/gi, (word) => (word.toLowerCase() === 'null' ? 'null' : '?'))
    .replace(/\s+/g, ' ')
    .replace(/\(\s*\?(?:\s*,\s*\?)+\s*\)/g, '(?, …)')
    .replace(/(\(\?, …\)|\(\?\))(?:\s*,\s*\1)+/g, '$1, …')
    .trim();
}

const TABLE_REFERENCE = /\b(?:from|join|into|update|copy)\s+((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)/gi;
/** Words after FROM that are not tables: a subquery's SELECT, and COPY's `from stdin` / `to stdout`. */
const NOT_TABLES = new Set(['select', 'stdin', 'stdout']);

/** Table names a statement reads or writes (best effort, for grouping, cache invalidation and redaction rules). */
export function tablesOf(text: string): string[] {
  const tables = new Set<string>();
  for (const match of text.matchAll(TABLE_REFERENCE)) {
    const name = (match[1] ?? '').split('.').pop()?.replaceAll('"', '');
    if (name && !NOT_TABLES.has(name.toLowerCase())) tables.add(name);
  }
  return [...tables];
}

export function fingerprintOf(normalized: string): string {
  return createHash('sha1').update(normalized).digest('hex').slice(0, 16);
}

/** Memoises normalisation per exact SQL text: Kysely emits the same text for a query shape, so this is a map hit. */
export class FingerprintCache {
  readonly #max: number;
  readonly #entries = new Map<string, { fingerprint: string; normalized: string; tables: string[] }>();

  constructor(max = 2000) {
    this.#max = max;
  }

  get(sql: string): { fingerprint: string; normalized: string; tables: string[] } {
    let entry = this.#entries.get(sql);
    if (!entry) {
      const normalized = normalizeSql(sql);
      entry = { fingerprint: fingerprintOf(normalized), normalized, tables: tablesOf(normalized) };
      if (this.#entries.size >= this.#max) this.#entries.clear();
      this.#entries.set(sql, entry);
    }
    return entry;
  }
}
