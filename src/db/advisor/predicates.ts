/**
 * Which columns of which table a SELECT filters, joins, sorts or groups on — read from the SQL text
 * with a deliberately small grammar (identifiers, aliases, comparison operators). It only proposes
 * candidates: every candidate is then verified by the real planner, so a miss costs a suggestion,
 * never a wrong one.
 */
export interface ColumnUsage {
  equality: string[];
  range: string[];
  join: string[];
  order: string[];
}

const KEYWORDS = new Set(['where', 'join', 'on', 'inner', 'left', 'right', 'full', 'outer', 'cross', 'natural', 'group', 'order', 'limit', 'offset', 'using', 'having', 'union', 'as', 'set', 'window']);
const TABLE = /\b(?:from|join)\s+(\w+)(?:\s+(?:as\s+)?(\w+))?/gi;
const PREDICATE = /(?:\b(\w+)\.)?\b(\w+)\s*(<=|>=|<>|!=|=|<|>|\bbetween\b|\blike\b|\bin\b|\bis\b)/gi;
const JOIN_EQUALITY = /\b(\w+)\.(\w+)\s*=\s*(\w+)\.(\w+)\b/gi;
const ORDER = /\b(order|group)\s+by\s+([\s\S]+?)(?=\blimit\b|\boffset\b|\bhaving\b|\border\s+by\b|\)|$)/gi;

/** alias (or table name) → table name, from FROM and JOIN clauses. */
export function tableAliases(sqlText: string): Map<string, string> {
  const text = sqlText.replaceAll('"', '').replace(/'(?:[^']|'')*'/g, '?');
  const aliases = new Map<string, string>();
  for (const match of text.matchAll(TABLE)) {
    const table = match[1] ?? '';
    aliases.set(table, table);
    const alias = match[2];
    if (alias && !KEYWORDS.has(alias.toLowerCase())) aliases.set(alias, table);
  }
  return aliases;
}

export function usageBySql(sqlText: string, columnsOf: (table: string) => readonly string[]): Map<string, ColumnUsage> {
  const text = sqlText.replaceAll('"', '').replace(/'(?:[^']|'')*'/g, '?');
  const aliases = tableAliases(text);
  const tables = [...new Set(aliases.values())];
  const usage = new Map<string, ColumnUsage>(tables.map((table) => [table, { equality: [], range: [], join: [], order: [] }]));
  const resolve = (qualifier: string | undefined, column: string): string | undefined => {
    if (qualifier) {
      const table = aliases.get(qualifier);
      return table && columnsOf(table).includes(column) ? table : undefined;
    }
    const owners = tables.filter((table) => columnsOf(table).includes(column));
    return owners.length === 1 ? owners[0] : undefined;
  };
  const add = (kind: keyof ColumnUsage, qualifier: string | undefined, column: string): void => {
    const table = resolve(qualifier, column);
    const entry = table ? usage.get(table) : undefined;
    if (entry && !entry[kind].includes(column)) entry[kind].push(column);
  };

  for (const match of text.matchAll(JOIN_EQUALITY)) {
    add('join', match[1], match[2] ?? '');
    add('join', match[3], match[4] ?? '');
  }
  const joinPairs = new Set([...text.matchAll(JOIN_EQUALITY)].map((m) => `${m[1]}.${m[2]}`));
  for (const match of text.matchAll(PREDICATE)) {
    const [, qualifier, column = '', operator = ''] = match;
    if (joinPairs.has(`${qualifier}.${column}`) || operator === '<>' || operator === '!=') continue;
    add(['=', 'in', 'is'].includes(operator.toLowerCase()) ? 'equality' : 'range', qualifier, column);
  }
  for (const match of text.matchAll(ORDER)) {
    for (const term of (match[2] ?? '').split(',')) {
      const ref = /^\s*(?:(\w+)\.)?(\w+)\s*(?:asc|desc)?\s*$/i.exec(term);
      if (ref) add('order', ref[1], ref[2] ?? '');
    }
  }
  return usage;
}

/** Candidate column lists for one table: singles, then equality composites with one range/sort column. */
export function candidateColumns(usage: ColumnUsage, existing: readonly (readonly string[])[]): string[][] {
  const equality = usage.equality.slice(0, 3);
  const trailing = [...usage.range, ...usage.order].filter((column) => !equality.includes(column));
  const lists: string[][] = [];
  for (const column of new Set([...usage.equality, ...usage.range, ...usage.join, ...usage.order])) lists.push([column]);
  if (equality.length >= 2) {
    lists.push(equality);
    lists.push([equality[1] ?? '', equality[0] ?? '']);
  }
  for (const column of trailing.slice(0, 2)) if (equality.length > 0) lists.push([...equality.slice(0, 2), column]);
  for (const join of usage.join) for (const column of trailing.slice(0, 1)) if (join !== column) lists.push([join, column]);
  const seen = new Set<string>();
  return lists.filter((columns) => {
    const key = columns.join(',');
    if (seen.has(key) || columns.some((c) => c === '')) return false;
    seen.add(key);
    // An existing index that starts with these columns already offers everything this one would.
    return !existing.some((index) => columns.every((column, i) => index[i] === column));
  });
}
