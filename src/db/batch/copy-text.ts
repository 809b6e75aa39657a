import { createRequire } from 'node:module';

/** A value PostgreSQL's COPY text format can carry as given: text, a number, or NULL. */
export type CopyValue = string | number | null;

/** pg's own conversion of a bound parameter to its text form (typed here: @types/pg does not declare it). */
const pgUtils = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue: (value: unknown) => string | Buffer | null | undefined;
};
const prepareValue = pgUtils.prepareValue;

/** Rows in COPY's text format, ~1 MB per piece so the stream sees backpressure without tiny writes. */
export function* copyText(rows: readonly (readonly CopyValue[])[]): Generator<string> {
  let piece = '';
  for (const row of rows) {
    piece += row.map(copyValue).join('\t') + '\n';
    if (piece.length > 1_000_000) {
      yield piece;
      piece = '';
    }
  }
  if (piece) yield piece;
}

const COPY_SPECIAL = /[\\\t\n\r]/;

export function copyValue(value: CopyValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] ?? c) : value;
}

/**
 * Any value the INSERT path binds, as one COPY text field holding exactly the text pg would send as
 * the parameter, so both paths store the same thing: pg's `prepareValue` (bigint and booleans as
 * text, Date in pg's timestamp form, arrays as PostgreSQL array literals, other objects as JSON,
 * `toPostgres()` honoured), then COPY's escaping. Bytes, which pg sends in binary, become bytea hex.
 */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return copyValue(value);
  if (typeof value === 'number') return String(value);
  const prepared = prepareValue(value);
  // JSON.stringify gives undefined for an object whose toJSON does: pg binds that as NULL too.
  if (prepared === null || prepared === undefined) return '\\N';
  // `\\x…` in COPY text is `\x…` once COPY has unescaped it: bytea's hex input.
  if (Buffer.isBuffer(prepared)) return `\\\\x${prepared.toString('hex')}`;
  return copyValue(prepared);
}

/** Row objects as COPY text, one line per row, fields in `columns` order. */
export function copyRowsText(rows: readonly unknown[], columns: readonly string[]): string {
  let text = '';
  for (const row of rows) {
    const record = row as Record<string, unknown>;
    text += copyField(record[columns[0]!]);
    for (let c = 1; c < columns.length; c++) text += '\t' + copyField(record[columns[c]!]);
    text += '\n';
  }
  return text;
}
