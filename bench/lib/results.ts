import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finishFacts, type MachineFacts } from './machine.ts';
import type { Spread } from './stats.ts';

/** The summary shape every reader relies on: `{ "<metric>": { "<implementation>": value } }`. */
export type Summary = Record<string, Record<string, number | string>>;

/** Everything needed to judge one run: how it was made, on what, and every round's raw figures. */
export interface RunRecord {
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineFacts;
  /** Work, durability and concurrency of each side, as configured in this run. */
  settings: Record<string, unknown>;
  /** Per-round ratios ours/peer, keyed `metric: ours / peer`. */
  ratios?: Record<string, Spread>;
  /** Raw per-round figures of each contender. */
  rounds?: unknown;
  notes?: string[];
}

export interface ResultsFile {
  [metric: string]: unknown;
  _runs?: Record<string, RunRecord>;
}

/** bench/results (committed); BENCH_RESULTS_DIR points smoke runs elsewhere (bench:all --smoke uses bench/.scratch). */
export const RESULTS_DIR = process.env['BENCH_RESULTS_DIR'] ?? join(import.meta.dirname, '../results');

export function readResults(name: string): ResultsFile | undefined {
  const path = join(RESULTS_DIR, `${name}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ResultsFile) : undefined;
}

/**
 * Merges one part's figures into bench/results/<name>.json: the summary keys stay at the top level,
 * the run's raw data and machine facts go under `_runs.<part>` (several scripts may share one file).
 */
export function writeResults(name: string, part: string, summary: Summary, run: RunRecord): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  const current: ResultsFile = readResults(name) ?? {};
  for (const [metric, values] of Object.entries(summary)) {
    current[metric] = { ...(current[metric] as Record<string, unknown> | undefined), ...values };
  }
  current._runs = { ...current._runs, [part]: run };
  const ordered: ResultsFile = Object.fromEntries(Object.entries(current).filter(([k]) => k !== '_runs'));
  ordered._runs = current._runs;
  writeFileSync(path, `${JSON.stringify(ordered, null, 2)}\n`);
  return path;
}

export interface OpenRun {
  machine: MachineFacts;
  finish(details: Omit<RunRecord, 'command' | 'startedAt' | 'finishedAt' | 'machine'>): RunRecord;
}

/** Records the machine before the work starts and again when it ends (load average before and after). */
export async function beginRun(command: string, machine: Promise<MachineFacts>): Promise<OpenRun> {
  const startedAt = new Date().toISOString();
  const facts = await machine;
  return {
    machine: facts,
    finish: (details) => ({ command, startedAt, finishedAt: new Date().toISOString(), machine: finishFacts(facts), ...details }),
  };
}
