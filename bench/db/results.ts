import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Results = Record<string, Record<string, number>>;

/** Merges figures into bench/results/<file>.json ({ measurement: { implementation: number } }). */
export function recordResult(file: string, figures: Results): void {
  const dir = join(import.meta.dirname, '../results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${file}.json`);
  const current = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Results) : {};
  for (const [measurement, values] of Object.entries(figures)) current[measurement] = { ...current[measurement], ...values };
  writeFileSync(path, JSON.stringify(current, null, 2) + '\n');
}
