import { AiStackError, ConflictError, InsufficientStorageError, UnavailableError, ValidationError } from '../shared/errors.ts';

/** The database file could not be opened (missing or unwritable directory, not a SQLite file, …): one line naming it. */
export class DatabaseOpenError extends AiStackError {
  readonly file: string;

  constructor(file: string, cause: unknown) {
    super(`cannot open the SQLite database ${file}: ${describeOpenFailure(cause)}`, { code: 'database_open_failed', cause });
    this.file = file;
  }
}

function describeOpenFailure(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown } | null)?.code;
  if (/file is not a database/i.test(message)) return 'the file is not a SQLite database (corrupt, encrypted, or another kind of file)';
  if (code === 'ENOTDIR') return 'a part of its directory path is a file, not a directory';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || /readonly|unable to open database file/i.test(message))
    return 'its directory cannot be created or written (permissions, or a read-only file system)';
  return message.split('\n')[0] ?? message;
}

/** What the caller was doing; only needed to tell SQLite's two kinds of foreign-key failure apart. */
export interface TranslateHint {
  operation?: 'insert' | 'update' | 'delete';
}

interface Violation {
  kind: 'unique' | 'foreign_key' | 'check' | 'not_null' | 'unavailable' | 'storage_full';
  table?: string;
  columns: string[];
  constraint?: string;
  /** PostgreSQL says whether a FK failed because the parent is missing or because children remain. */
  stillReferenced?: boolean;
}

/**
 * Maps a driver error from either dialect to our typed errors so the HTTP edge answers 409/400/503
 * instead of 500. Messages name tables, columns and constraints but never the values (they may be
 * personal data). Errors that are not constraint or availability failures are returned unchanged.
 */
export function translateDatabaseError(error: unknown, hint: TranslateHint = {}): unknown {
  if (error instanceof AiStackError || !(error instanceof Error)) return error;
  const violation = sqliteViolation(error) ?? postgresViolation(error);
  if (!violation) return error;
  const where = violation.columns.length > 0 ? violation.columns.join(', ') : (violation.constraint ?? 'a constraint');
  const issues = violation.columns.map((field) => ({ field, message: messageFor(violation.kind) }));
  switch (violation.kind) {
    case 'unique':
      return new ConflictError(
        `${capitalize(withArticle(nounOf(violation.table)))} with this ${violation.columns.length > 0 ? violation.columns.join(' and ') : 'value'} already exists`,
        { code: 'already_exists', cause: error },
      );
    case 'foreign_key':
      if (violation.stillReferenced || hint.operation === 'delete') {
        return new ConflictError(
          `This ${nounOf(violation.table)} is still referenced by other records${violation.constraint ? ` (${violation.constraint})` : ''}; remove those first`,
          { code: 'still_referenced', cause: error },
        );
      }
      return withCause(new ValidationError(`${where} refers to a row that does not exist`, issues), error);
    case 'check':
      return withCause(new ValidationError(`The value violates ${violation.constraint ?? 'a check constraint'}`, issues), error);
    case 'not_null':
      return withCause(new ValidationError(`${where} is required`, issues), error);
    case 'unavailable':
      return new UnavailableError(`The database is busy or unreachable: ${error.message}`, { code: 'database_unavailable', cause: error });
    case 'storage_full':
      return new InsufficientStorageError('The database has no space left to store this write; nothing was changed. Retry once space is freed', {
        cause: error,
      });
  }
}

/** `customers` → `customer`, `ledger_entries` → `ledger entry`, `api_keys` → `API key`: messages read as sentences. */
export function nounOf(table: string | undefined): string {
  if (table === undefined) return 'record';
  const words = table.replace(/^api_/, 'API_').split('_');
  const last = words.pop() ?? table;
  const singular = /ies$/.test(last)
    ? `${last.slice(0, -3)}y`
    : /(ss|x|ch|sh)es$/.test(last)
      ? last.slice(0, -2)
      : /[^s]s$/.test(last)
        ? last.slice(0, -1)
        : last;
  return [...words, singular].join(' ');
}

function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function messageFor(kind: Violation['kind']): string {
  return kind === 'foreign_key' ? 'refers to a row that does not exist' : kind === 'not_null' ? 'is required' : 'is invalid';
}

function withCause<E extends Error>(target: E, cause: unknown): E {
  Object.defineProperty(target, 'cause', { value: cause, enumerable: false });
  return target;
}

/** node:sqlite errors carry `errcode` (extended result code) and a message naming `table.column`s. */
function sqliteViolation(error: Error): Violation | undefined {
  const { code, errcode } = error as Error & { code?: unknown; errcode?: unknown };
  if (code !== 'ERR_SQLITE_ERROR' || typeof errcode !== 'number') return undefined;
  const primary = errcode & 0xff;
  if (primary === 5 || primary === 6) return { kind: 'unavailable', columns: [] };
  if (primary === 13) return { kind: 'storage_full', columns: [] }; // SQLITE_FULL
  if (primary !== 19) return undefined;
  const detail = error.message.replace(/^.*constraint failed:?\s*/i, '');
  const qualified = detail
    .split(',')
    .map((part) => part.trim())
    .filter((part) => /^\w+\.\w+$/.test(part));
  const table = qualified[0]?.split('.')[0];
  const columns = qualified.map((part) => part.split('.')[1] ?? part);
  switch (errcode) {
    case 2067: // SQLITE_CONSTRAINT_UNIQUE
    case 1555: // SQLITE_CONSTRAINT_PRIMARYKEY
      return { kind: 'unique', table, columns };
    case 787: // SQLITE_CONSTRAINT_FOREIGNKEY
      return { kind: 'foreign_key', columns: [] };
    case 275: // SQLITE_CONSTRAINT_CHECK
      return { kind: 'check', columns: [], constraint: detail || undefined };
    case 1299: // SQLITE_CONSTRAINT_NOTNULL
      return { kind: 'not_null', table, columns };
    default:
      return undefined;
  }
}

const PG_UNAVAILABLE = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);
/** pg reports a lost or closed connection with a plain Error and no code. */
const PG_CONNECTION_LOST = /^(Connection terminated|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;

/** pg's DatabaseError has the SQLSTATE in `code` and `table`, `column`, `constraint`, `detail` fields. */
function postgresViolation(error: Error): Violation | undefined {
  const e = error as Error & { code?: unknown; table?: string; column?: string; constraint?: string; detail?: string };
  if (PG_CONNECTION_LOST.test(e.message)) return { kind: 'unavailable', columns: [] };
  if (typeof e.code !== 'string') return undefined;
  if (PG_UNAVAILABLE.has(e.code)) return { kind: 'unavailable', columns: [] };
  if (e.code === '53100') return { kind: 'storage_full', columns: [] }; // disk_full
  const keyColumns =
    /^Key \(([^)]*)\)/
      .exec(e.detail ?? '')?.[1]
      ?.split(',')
      .map((c) => c.trim()) ?? [];
  switch (e.code) {
    case '23505':
      return { kind: 'unique', table: e.table, columns: keyColumns, constraint: e.constraint };
    case '23503':
      return { kind: 'foreign_key', table: e.table, columns: keyColumns, constraint: e.constraint, stillReferenced: /still referenced/.test(e.detail ?? '') };
    case '23514':
      return { kind: 'check', table: e.table, columns: [], constraint: e.constraint };
    case '23502':
      return { kind: 'not_null', table: e.table, columns: e.column ? [e.column] : [] };
    default:
      return undefined;
  }
}
