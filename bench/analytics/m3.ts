import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** One M3-competition series (from the Mcomp R package's data, exported by bench/analytics/export-m3.R). */
export interface CompetitionSeries {
  id: string;
  period: 'YEARLY' | 'QUARTERLY' | 'MONTHLY' | 'OTHER';
  frequency: number;
  h: number;
  x: number[];
  xx: number[];
}

export function loadM3(): CompetitionSeries[] {
  const text = gunzipSync(readFileSync(new URL('./data/m3.jsonl.gz', import.meta.url))).toString('utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CompetitionSeries);
}

/** Every `step`-th series (1 = all 3,003): a deterministic, stratum-preserving sample (the file is ordered by period). */
export function sample(series: CompetitionSeries[], step: number): CompetitionSeries[] {
  return series.filter((_, i) => i % step === 0);
}
