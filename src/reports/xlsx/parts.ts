/** The fixed parts of an .xlsx package (Office Open XML, ECMA-376), written once per workbook. */

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

export function contentTypes(sheetCount: number): string {
  const sheets = Array.from(
    { length: sheetCount },
    (_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
  ).join('');
  return `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>${sheets}</Types>`;
}

export const ROOT_RELS = `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`;

export function workbook(sheetNames: string[], filters: { index: number; ref: string }[]): string {
  const sheets = sheetNames.map((name, i) => `<sheet name="${escapeXml(name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('');
  // The autofilter's hidden defined name is what Excel writes; LibreOffice needs it to show the filter buttons.
  const names = filters
    .map(
      (f) =>
        `<definedName name="_xlnm._FilterDatabase" localSheetId="${f.index}" hidden="1">'${escapeXml(sheetNames[f.index]!.replaceAll("'", "''"))}'!${f.ref}</definedName>`,
    )
    .join('');
  return `${XML_HEAD}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>${sheets}</sheets>${names ? `<definedNames>${names}</definedNames>` : ''}<calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>`;
}

export function workbookRels(sheetCount: number): string {
  const sheets = Array.from(
    { length: sheetCount },
    (_, i) =>
      `<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
  ).join('');
  return `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${sheets}<Relationship Id="rId${sheetCount + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`;
}

/** Number formats by name; the style index of each (plain and bold) is fixed by STYLES below. */
export const NUMBER_FORMATS = {
  general: { id: 0, code: '' },
  integer: { id: 3, code: '' },
  number: { id: 4, code: '' },
  currency: { id: 164, code: '#,##0.00;[Red]-#,##0.00' },
  percent: { id: 165, code: '0.00"%"' },
  date: { id: 166, code: 'yyyy-mm-dd' },
  datetime: { id: 167, code: 'yyyy-mm-dd hh:mm:ss' },
} as const;
export type NumberFormat = keyof typeof NUMBER_FORMATS;
const FORMAT_ORDER = Object.keys(NUMBER_FORMATS) as NumberFormat[];

/** Style index: 1 + 2·format + (bold ? 1 : 0); 0 is the default. Headers use the bold general style. */
export function styleIndex(format: NumberFormat, bold: boolean): number {
  return 1 + 2 * FORMAT_ORDER.indexOf(format) + (bold ? 1 : 0);
}

export function styles(): string {
  const custom = FORMAT_ORDER.filter((f) => NUMBER_FORMATS[f].code !== '')
    .map((f) => `<numFmt numFmtId="${NUMBER_FORMATS[f].id}" formatCode="${escapeXml(NUMBER_FORMATS[f].code)}"/>`)
    .join('');
  const xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'];
  for (const f of FORMAT_ORDER) {
    for (const bold of [false, true])
      xfs.push(
        `<xf numFmtId="${NUMBER_FORMATS[f].id}" fontId="${bold ? 1 : 0}" fillId="0" borderId="0" xfId="0"${NUMBER_FORMATS[f].id ? ' applyNumberFormat="1"' : ''}${bold ? ' applyFont="1"' : ''}/>`,
      );
  }
  return `${XML_HEAD}<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="${FORMAT_ORDER.length - 3}">${custom}</numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="${xfs.length}">${xfs.join('')}</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`;
}

// XML 1.0 forbids most control characters; a hostile or binary string must not make the file unreadable.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXml(text: string): string {
  return text.replace(INVALID_XML, '').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** Column letters: 0 → A, 25 → Z, 26 → AA. */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** Display width in Excel character units: East Asian wide characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const wide =
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x20000 && code <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

const EPOCH = Date.UTC(1899, 11, 30);

/** Excel serial day number of an ISO date or timestamp (UTC); undefined when it does not parse. */
export function excelSerial(value: string | Date): number | undefined {
  const ms = value instanceof Date ? value.getTime() : /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
  return Number.isNaN(ms) ? undefined : (ms - EPOCH) / 86_400_000;
}
