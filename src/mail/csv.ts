/**
 * RFC 4180 CSV with a UTF-8 byte-order mark, so Excel opens Chinese text correctly.
 * Cells starting with = + - @ are prefixed with ' (CSV injection: a spreadsheet would run them as formulas).
 */
export function toCsv(columns: string[], rows: (string | number | boolean | null)[][]): Buffer {
  const lines = [columns, ...rows].map((row) => row.map(cell).join(','));
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);
}

function cell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
