import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import type { Summary } from '../lib/results.ts';
import { tidy, type Spread } from '../lib/stats.ts';

interface XlsxFigures {
  seconds: number;
  peakRssMb: number;
  bytes: number;
}

/** One writer in its own process (xlsx-child.ts), so the peak RSS read there is that writer's alone. */
function writeInChild(which: 'ai-stack' | 'exceljs', rows: number, file: string): XlsxFigures {
  const out = spawnSync(process.execPath, [new URL('./xlsx-child.ts', import.meta.url).pathname, which, String(rows), file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (out.status !== 0) throw new Error(`${which} failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as XlsxFigures;
}

/**
 * Streaming XLSX of `rows` rows × 8 typed columns, ours against exceljs's streaming WorkbookWriter, rotated rounds.
 * Seconds are medians; peak RSS is the worst round of each side (a memory ceiling holds only if it holds every time).
 */
export async function xlsxPart(work: string, rows: number, rounds: number) {
  const byName = await rotatedRounds(
    (['ai-stack', 'exceljs'] as const).map((name) => ({ name, run: async () => writeInChild(name, rows, join(work, `${name}.xlsx`)) })),
    { rounds, warmup: false, onRound: (r, f) => console.error(`xlsx round ${r + 1}:`, JSON.stringify(f)) },
  );
  const worst = (name: string) => Math.max(...(byName[name] ?? []).map((f) => f.peakRssMb));
  const seconds = mediansOf(byName, (f) => f.seconds);
  const megabytes = mediansOf(byName, (f) => f.bytes / 1e6);
  const summary: Summary = {
    xlsx_1m_rows_peak_rss_mb: { 'ai-stack': Math.round(worst('ai-stack')), exceljs: Math.round(worst('exceljs')) },
    xlsx_1m_rows_s: { 'ai-stack': tidy(seconds['ai-stack']!), exceljs: tidy(seconds['exceljs']!) },
    xlsx_1m_rows_file_mb: { 'ai-stack': tidy(megabytes['ai-stack']!), exceljs: tidy(megabytes['exceljs']!) },
  };
  const ratios: Record<string, Spread> = {
    'xlsx_1m_rows_s: ai-stack / exceljs': ratioOfRounds(byName, (f) => f.seconds, 'ai-stack', 'exceljs'),
    'xlsx_1m_rows_peak_rss_mb: ai-stack / exceljs': ratioOfRounds(byName, (f) => f.peakRssMb, 'ai-stack', 'exceljs'),
  };
  return {
    summary,
    ratios,
    rounds: byName,
    settings: {
      rows,
      rounds,
      work: '8 typed columns (integer, date, two strings incl. CJK, four numbers), one sheet, streamed to a file',
      'ai-stack': 'src/reports/xlsx XlsxWriter',
      exceljs: 'exceljs stream.xlsx.WorkbookWriter (its streaming writer), rows committed as written',
      isolation: 'each run in its own process; peak RSS from that process',
    },
  };
}
