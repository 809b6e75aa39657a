import { ValidationError } from '../shared/errors.ts';

/**
 * RFC 4180 CSV (quoted fields with commas, quotes and line breaks; CRLF or LF; a UTF-8 BOM is skipped) into
 * records keyed by the header row. Empty cells are left out, so an optional field is absent rather than "".
 */
export function parseCsv(text: string): Record<string, string>[] {
  const rows = splitRows(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const header = rows.shift();
  if (!header) return [];
  const names = header.map((name) => name.trim());
  const duplicate = names.find((name, i) => name === '' || names.indexOf(name) !== i);
  if (duplicate !== undefined) throw new ValidationError(`the CSV header has an empty or repeated column name "${duplicate}"`);
  return rows
    .filter((cells) => !(cells.length === 1 && cells[0] === ''))
    .map((cells) => {
      const record: Record<string, string> = {};
      cells.forEach((cell, i) => {
        // Extra cells beyond the header get a name the schema will reject, so the row is reported, not silently cut.
        const name = names[i] ?? `column_${i + 1}`;
        if (cell !== '') record[name] = cell;
      });
      return record;
    });
}

function splitRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (quoted) throw new ValidationError('the CSV body ends inside a quoted field');
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
