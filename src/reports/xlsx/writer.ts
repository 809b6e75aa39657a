import { PassThrough, type Writable } from 'node:stream';
import { once } from 'node:events';
import { ZipFile } from 'yazl';
import {
  columnName,
  contentTypes,
  displayWidth,
  escapeXml,
  excelSerial,
  ROOT_RELS,
  styleIndex,
  styles,
  workbook,
  workbookRels,
  type NumberFormat,
} from './parts.ts';

export type XlsxValue = string | number | boolean | Date | null | undefined;

export interface XlsxColumn {
  header: string;
  /** How values are written: text, a number with a format, or a date (ISO string or Date → serial with a date format). */
  type: 'string' | 'number' | 'date' | 'datetime';
  format?: NumberFormat;
  /** Fixed width in characters; default: fitted to the header and the first rows (CJK counts double). */
  width?: number;
}

export type XlsxTotal =
  { kind: 'sum' } | { kind: 'value'; value: number | null } | { kind: 'label'; text: string } | { kind: 'formula'; formula: string; value: number | null };

export interface SheetOptions {
  freezeHeader?: boolean;
  autoFilter?: boolean;
}

const SAMPLE_ROWS = 100;
const FLUSH_BYTES = 64 * 1024;
/** Calc and Excel stop at 1,048,576 rows; the header and a totals row take two. */
export const MAX_DATA_ROWS = 1_048_574;

/**
 * A streaming XLSX writer: rows become XML as they arrive and go straight into a deflating zip stream, with
 * back-pressure, so memory stays flat however many rows are written. Strings are inline (no shared-string table
 * to hold in memory), numbers and dates are typed cells with number formats, totals are formulas with cached values.
 * Sheets are written one after another.
 */
export class XlsxWriter {
  readonly #zip = new ZipFile();
  readonly #names: string[] = [];
  readonly #filters: { index: number; ref: string }[] = [];
  #open: SheetWriter | undefined;
  readonly #done: Promise<void>;

  constructor(output: Writable) {
    this.#zip.outputStream.pipe(output);
    this.#done = once(output, 'finish').then(() => undefined);
    this.#zip.addBuffer(Buffer.from(ROOT_RELS), '_rels/.rels');
    this.#zip.addBuffer(Buffer.from(styles()), 'xl/styles.xml');
  }

  addSheet(name: string, columns: XlsxColumn[], options: SheetOptions = {}): SheetWriter {
    if (this.#open && !this.#open.closed) throw new Error('finish the previous sheet before adding another');
    const clean = sheetName(name, this.#names);
    this.#names.push(clean);
    const stream = new PassThrough({ highWaterMark: FLUSH_BYTES * 4 });
    this.#zip.addReadStream(stream, `xl/worksheets/sheet${this.#names.length}.xml`);
    const index = this.#names.length - 1;
    this.#open = new SheetWriter(stream, columns, options, (ref) => this.#filters.push({ index, ref }));
    return this.#open;
  }

  /** Writes the workbook parts and closes the zip; resolves when the output has everything. */
  async end(): Promise<void> {
    if (this.#open && !this.#open.closed) await this.#open.end();
    if (this.#names.length === 0) throw new Error('a workbook needs at least one sheet');
    this.#zip.addBuffer(Buffer.from(workbook(this.#names, this.#filters)), 'xl/workbook.xml');
    this.#zip.addBuffer(Buffer.from(workbookRels(this.#names.length)), 'xl/_rels/workbook.xml.rels');
    this.#zip.addBuffer(Buffer.from(contentTypes(this.#names.length)), '[Content_Types].xml');
    this.#zip.end();
    await this.#done;
  }
}

function sheetName(name: string, taken: string[]): string {
  let clean =
    name
      .replace(/[[\]:*?/\\]/g, ' ')
      .replace(/^'+|'+$/g, '')
      .trim()
      .slice(0, 31) || `Sheet${taken.length + 1}`;
  for (let i = 2; taken.some((t) => t.toLowerCase() === clean.toLowerCase()); i++) clean = `${clean.slice(0, 28)} ${i}`;
  return clean;
}

export class SheetWriter {
  readonly #out: PassThrough;
  readonly #columns: XlsxColumn[];
  readonly #options: SheetOptions;
  readonly #onFilter: (ref: string) => void;
  readonly #styles: number[];
  #sample: XlsxValue[][] | undefined = [];
  #buffer = '';
  #row = 1;
  #dataRows = 0;
  closed = false;

  constructor(out: PassThrough, columns: XlsxColumn[], options: SheetOptions, onFilter: (ref: string) => void) {
    this.#out = out;
    this.#columns = columns;
    this.#options = { freezeHeader: true, autoFilter: true, ...options };
    this.#onFilter = onFilter;
    this.#styles = columns.map((c) => styleIndex(c.format ?? (c.type === 'date' ? 'date' : c.type === 'datetime' ? 'datetime' : 'general'), false));
  }

  /** Adds one row; await it (it waits only when the zip stream pushes back). */
  async addRow(values: XlsxValue[]): Promise<void> {
    if (this.closed) throw new Error('the sheet is finished');
    if (this.#dataRows >= MAX_DATA_ROWS) throw new RangeError(`a sheet holds at most ${MAX_DATA_ROWS} rows; start another sheet`);
    this.#dataRows++;
    if (this.#sample) {
      this.#sample.push(values);
      if (this.#sample.length >= SAMPLE_ROWS) await this.#startSheet();
      return;
    }
    this.#buffer += this.#rowXml(values);
    if (this.#buffer.length >= FLUSH_BYTES) await this.#flush();
  }

  /** The totals row: per column a label, a SUBTOTAL over the data (ignores filtered-out rows), a value or a formula. */
  async addTotals(totals: (XlsxTotal | undefined)[]): Promise<void> {
    if (this.#sample) await this.#startSheet();
    const r = ++this.#row;
    const cells = totals.map((total, i) => {
      if (!total) return '';
      const ref = `${columnName(i)}${r}`;
      const style = styleIndex(this.#columns[i]?.format ?? 'general', true);
      if (total.kind === 'label') return `<c r="${ref}" t="inlineStr" s="${styleIndex('general', true)}"><is><t>${escapeXml(total.text)}</t></is></c>`;
      if (total.kind === 'value') return total.value === null ? '' : `<c r="${ref}" s="${style}"><v>${total.value}</v></c>`;
      const formula = total.kind === 'sum' ? `SUBTOTAL(109,${columnName(i)}2:${columnName(i)}${r - 1})` : total.formula;
      const cached = total.kind === 'formula' ? total.value : null;
      return `<c r="${ref}" s="${style}"><f>${escapeXml(formula)}</f>${cached === null ? '' : `<v>${cached}</v>`}</c>`;
    });
    this.#buffer += `<row r="${r}">${cells.join('')}</row>`;
  }

  async end(): Promise<void> {
    if (this.closed) return;
    if (this.#sample) await this.#startSheet();
    this.closed = true;
    const last = columnName(Math.max(this.#columns.length - 1, 0));
    let tail = '</sheetData>';
    if (this.#options.autoFilter && this.#columns.length > 0) {
      const ref = `$A$1:$${last}$${Math.max(this.#dataRows + 1, 2)}`;
      tail += `<autoFilter ref="A1:${last}${Math.max(this.#dataRows + 1, 2)}"/>`;
      this.#onFilter(ref);
    }
    this.#buffer += `${tail}<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`;
    await this.#flush();
    this.#out.end();
  }

  /** Widths are known once the first rows are in; then the sheet's head and those rows are written. */
  async #startSheet(): Promise<void> {
    const sample = this.#sample ?? [];
    this.#sample = undefined;
    const widths = this.#columns.map((c, i) => {
      if (c.width) return c.width;
      let w = displayWidth(c.header) + 2;
      for (const row of sample) w = Math.max(w, displayWidth(this.#display(row[i], c)) + 2);
      return Math.min(Math.max(w, 8), 80);
    });
    const cols = widths.map((w, i) => `<col min="${i + 1}" max="${i + 1}" width="${w}" customWidth="1"/>`).join('');
    const pane = this.#options.freezeHeader
      ? '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
      : '';
    const header = this.#columns
      .map((c, i) => `<c r="${columnName(i)}1" t="inlineStr" s="${styleIndex('general', true)}"><is><t>${escapeXml(c.header)}</t></is></c>`)
      .join('');
    this.#buffer += `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetViews><sheetView workbookViewId="0">${pane}</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>${cols ? `<cols>${cols}</cols>` : ''}<sheetData><row r="1">${header}</row>`;
    for (const row of sample) this.#buffer += this.#rowXml(row);
    await this.#flush();
  }

  #display(value: XlsxValue, column: XlsxColumn): string {
    if (value === null || value === undefined) return '';
    if (typeof value === 'number') return column.format === 'currency' || column.format === 'number' ? value.toFixed(2) : String(value);
    if (value instanceof Date) return value.toISOString().slice(0, column.type === 'date' ? 10 : 19);
    return String(value);
  }

  #rowXml(values: XlsxValue[]): string {
    const r = ++this.#row;
    let xml = `<row r="${r}">`;
    for (let i = 0; i < this.#columns.length; i++) {
      const value = values[i];
      if (value === null || value === undefined || value === '') continue;
      const column = this.#columns[i]!;
      const ref = `${columnName(i)}${r}`;
      if ((column.type === 'date' || column.type === 'datetime') && (typeof value === 'string' || value instanceof Date)) {
        const serial = excelSerial(value);
        if (serial !== undefined) {
          xml += `<c r="${ref}" s="${this.#styles[i]}"><v>${serial}</v></c>`;
          continue;
        }
      }
      if (typeof value === 'number' && Number.isFinite(value)) xml += `<c r="${ref}" s="${this.#styles[i]}"><v>${value}</v></c>`;
      else if (typeof value === 'boolean') xml += `<c r="${ref}" t="b"><v>${value ? 1 : 0}</v></c>`;
      else xml += `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${escapeXml(String(value))}</t></is></c>`;
    }
    return `${xml}</row>`;
  }

  async #flush(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const chunk = this.#buffer;
    this.#buffer = '';
    if (!this.#out.write(chunk)) await once(this.#out, 'drain');
  }
}
