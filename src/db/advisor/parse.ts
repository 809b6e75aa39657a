import type * as LibPgQuery from 'libpg-query';
import type { Node, SelectStmt } from 'libpg-query';
import { ValidationError } from '../../shared/errors.ts';

/**
 * One SELECT parsed by PostgreSQL's own grammar (libpg-query, WASM). SQLite statements are read
 * with the same grammar after their placeholders (`?`, `?7`, `:name`, `@name`, `$name`) become
 * `$n` and their backtick or bracket quoting becomes double quotes: the advisor reads only names
 * and predicates, which the two dialects spell alike.
 */
export interface ParsedStatement {
  select: SelectStmt;
  /** The statement as PostgreSQL syntax (placeholders `$n`). */
  text: string;
  /** SQLite only: the statement with every placeholder numbered `?n`, so values bind by position. */
  numbered: string;
  /** Highest placeholder number. */
  parameterCount: number;
}

let loaded: Promise<typeof LibPgQuery> | undefined;

/**
 * libpg-query instantiates its WASM (a 128 MB memory, about 16 MB of it resident) as soon as it is imported: it
 * loads with the first statement the advisor reads, not with every process that might advise.
 */
function parser(): Promise<typeof LibPgQuery> {
  loaded ??= import('libpg-query').then(async (module) => {
    await module.loadModule();
    return module;
  });
  return loaded;
}

export async function parseSelect(sqlText: string, dialect: 'sqlite' | 'postgres'): Promise<ParsedStatement> {
  const { parseSync } = await parser();
  const { text, numbered, parameterCount } =
    dialect === 'sqlite' ? numberSqlitePlaceholders(sqlText) : { text: sqlText, numbered: sqlText, parameterCount: maxParam(sqlText) };
  let stmt: Node | undefined;
  try {
    const result = parseSync(text);
    if (result.stmts?.length !== 1) throw new Error('expected exactly one statement');
    stmt = result.stmts[0]?.stmt;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`Cannot advise on this statement: the advisor's SQL parser could not read it (${message})`, [{ field: 'sql', message }]);
  }
  if (!stmt || !('SelectStmt' in stmt))
    throw new ValidationError('Cannot advise on this statement: only SELECT statements can be advised', [{ field: 'sql', message: 'not a SELECT' }]);
  return { select: stmt.SelectStmt, text, numbered, parameterCount };
}

/** Parses a view's stored definition (`CREATE VIEW … AS SELECT …` on SQLite, the bare SELECT on PostgreSQL). */
export async function parseViewDefinition(definition: string, dialect: 'sqlite' | 'postgres'): Promise<SelectStmt | undefined> {
  const { parseSync } = await parser();
  try {
    const text = dialect === 'sqlite' ? numberSqlitePlaceholders(definition).text : definition;
    const stmt = parseSync(text.trim().replace(/;\s*$/, '')).stmts?.[0]?.stmt;
    if (stmt && 'SelectStmt' in stmt) return stmt.SelectStmt;
    if (stmt && 'ViewStmt' in stmt) {
      const query = stmt.ViewStmt.query;
      return query && 'SelectStmt' in query ? query.SelectStmt : undefined;
    }
  } catch {
    // A definition our grammar cannot read is treated as an opaque relation.
  }
  return undefined;
}

function maxParam(text: string): number {
  return Math.max(0, ...[...blankQuoted(text).matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}

/** Replaces string literals and quoted identifiers with spaces of equal length, so offsets still match. */
function blankQuoted(text: string): string {
  return text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\//g, (m) => ' '.repeat(m.length));
}

/**
 * SQLite numbers `?` after the highest number used so far, and a named parameter keeps the number
 * of its first appearance (sqlite3_bind_parameter_index); this mirrors that rule.
 */
export function numberSqlitePlaceholders(sqlText: string): { text: string; numbered: string; parameterCount: number } {
  const blank = blankQuoted(sqlText);
  const names = new Map<string, number>();
  let highest = 0;
  const pieces: { start: number; end: number; n: number }[] = [];
  for (const match of blank.matchAll(/\?(\d*)|[:@$]\w+|`[^`]*`|\[[^\]]*\]/g)) {
    const [token, digits] = match;
    if (token.startsWith('`') || token.startsWith('[')) continue;
    const n = token.startsWith('?') ? (digits ? Number(digits) : highest + 1) : (names.get(token) ?? highest + 1);
    if (!token.startsWith('?')) names.set(token, n);
    highest = Math.max(highest, n);
    pieces.push({ start: match.index, end: match.index + token.length, n });
  }
  const rewrite = (placeholder: (n: number) => string): string => {
    let out = '';
    let at = 0;
    for (const piece of pieces) {
      out += sqlText.slice(at, piece.start) + placeholder(piece.n);
      at = piece.end;
    }
    return out + sqlText.slice(at);
  };
  const numbered = rewrite((n) => `?${n}`);
  // Quoting and `==` differ only in spelling; rewritten for the parser, not for SQLite.
  const text = rewrite((n) => `$${n}`).replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`([^`]*)`|\[([^\]]*)\]|==/g, (m, tick?: string, bracket?: string) => {
    if (m === '==') return '=';
    const name = tick ?? bracket;
    return name === undefined ? m : `"${name.replaceAll('"', '""')}"`;
  });
  return { text, numbered, parameterCount: highest };
}
