/** A value PostgreSQL's COPY text format can carry as given: text, a number, or NULL. */
export type CopyValue = string | number | null;

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
