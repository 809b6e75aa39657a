import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Opens a spreadsheet with LibreOffice (headless) and exports every sheet to CSV, formulas recalculated:
 * what a user's office suite would show. Each call uses its own profile so parallel tests do not collide.
 */
export async function sheetsAsCsv(file: string): Promise<Record<string, string[][]>> {
  const out = mkdtempSync(join(tmpdir(), 'ai-stack-soffice-'));
  try {
    const filter = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1';
    await run('soffice', [`-env:UserInstallation=file://${out}/profile`, '--headless', '--norestore', '--convert-to', filter, '--outdir', out, file], {
      timeout: 120_000,
    });
    // One file per sheet, named <file>-<sheet>.csv; keyed here by sheet name.
    const base = basename(file).replace(/\.[^.]+$/, '');
    const files = readdirSync(out).filter((f) => f.endsWith('.csv'));
    return Object.fromEntries(files.map((f) => [f.slice(base.length + 1, -4), parseCsv(readFileSync(join(out, f), 'utf8'))]));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
