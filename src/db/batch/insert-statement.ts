import { ValidationError } from '../../shared/errors.ts';

export interface ConflictClause {
  /** Conflict target columns. */
  columns: readonly string[];
  /** Columns overwritten from the new row; none → DO NOTHING. */
  update?: readonly string[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const quote = (name: string) => `"${name}"`;

function assertIdentifiers(names: readonly string[]): void {
  const bad = names.find((name) => !IDENTIFIER.test(name));
  if (bad !== undefined)
    throw new ValidationError(`Not a plain identifier: ${JSON.stringify(bad.slice(0, 100))}`, [
      { field: bad.slice(0, 100), message: 'must match [A-Za-z_][A-Za-z0-9_]*' },
    ]);
}

/** `copy "t" ("a", "b") from stdin`: PostgreSQL's bulk path for plain inserts. */
export function copyStatement(table: string, columns: readonly string[]): string {
  assertIdentifiers([table, ...columns]);
  return `copy ${quote(table)} (${columns.map(quote).join(', ')}) from stdin`;
}

/** `insert into t (a, b) values (?, ?), …` text for n rows, memoised per row count. */
export function insertStatement(
  dialect: 'sqlite' | 'postgres',
  table: string,
  columns: readonly string[],
  conflict: ConflictClause | undefined,
): (rows: number) => string {
  assertIdentifiers([table, ...columns, ...(conflict?.columns ?? []), ...(conflict?.update ?? [])]);
  let suffix = '';
  if (conflict) {
    suffix = ` on conflict (${conflict.columns.map(quote).join(', ')}) `;
    suffix += conflict.update?.length ? `do update set ${conflict.update.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')}` : 'do nothing';
  }
  const head = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values `;
  const cache = new Map<number, string>();
  return (rows) => {
    let text = cache.get(rows);
    if (text === undefined) {
      const tuples: string[] = [];
      let n = 0;
      for (let r = 0; r < rows; r++) {
        tuples.push(`(${columns.map(() => (dialect === 'postgres' ? `$${++n}` : '?')).join(', ')})`);
      }
      text = head + tuples.join(', ') + suffix;
      cache.set(rows, text);
    }
    return text;
  };
}
