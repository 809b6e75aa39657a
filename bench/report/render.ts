import type { ResultsFile, RunRecord } from '../lib/results.ts';
import type { Spread } from '../lib/stats.ts';
import type { Goal, Section } from './sections.ts';

const num = (v: number): string => {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return Number(v.toPrecision(3)).toString();
};

const cell = (v: unknown): string => (typeof v === 'number' ? num(v) : typeof v === 'string' ? v.replaceAll('|', '\\|') : '');

function metricsTable(results: ResultsFile, only?: readonly string[]): string[] {
  const metrics = Object.entries(results).filter(([k]) => !k.startsWith('_') && (!only || only.includes(k))) as Array<[string, Record<string, unknown>]>;
  if (metrics.length === 0) return [];
  const implementations = [...new Set(metrics.flatMap(([, values]) => Object.keys(values)))];
  return [
    `| metric | ${implementations.join(' | ')} |`,
    `|---|${implementations.map(() => '---:').join('|')}|`,
    ...metrics.map(([metric, values]) => `| ${metric} | ${implementations.map((i) => cell(values[i])).join(' | ')} |`),
  ];
}

function ratioTable(runs: RunRecord[]): string[] {
  const ratios: Array<[string, Spread]> = runs.flatMap((run) => Object.entries(run.ratios ?? {}));
  if (ratios.length === 0) return [];
  return [
    '',
    'Per-round ratios (ours ÷ peer for rates, so > 1 is better for throughput; for latencies read the key):',
    '',
    '| ratio | median | min | max | rounds |',
    '|---|---:|---:|---:|---:|',
    ...ratios.map(([key, s]) => `| ${key} | ${num(s.median)}× | ${num(s.min)}× | ${num(s.max)}× | ${s.values.length} |`),
  ];
}

function machineLine(part: string, run: RunRecord): string {
  const m = run.machine;
  const versions = [`Node ${m.node}`, m.redis ? `Redis ${m.redis}` : '', m.postgres ? `PostgreSQL ${m.postgres}` : '', ...Object.entries(m.packages).map(([n, v]) => `${n} ${v}`)].filter(Boolean);
  const load = `load average ${m.loadBefore.join('/')} before, ${m.loadAfter?.join('/') ?? '?'} after`;
  return `- **${part}**: \`${run.command}\`, ${run.startedAt.slice(0, 16)}Z, ${m.cpus} × ${m.cpuModel}, ${load}; ${versions.join(', ')}.`;
}

function settingsLines(runs: Array<[string, RunRecord]>): string[] {
  const lines: string[] = [];
  for (const [part, run] of runs) {
    const settings = Object.entries(run.settings).filter(([k]) => k !== 'metrics').map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    if (settings.length > 0) lines.push(`- ${part} settings — ${settings.join('; ')}`);
    for (const note of run.notes ?? []) lines.push(`- ${note}`);
  }
  return lines;
}

function goalLines(goals: Goal[], results: ResultsFile): string[] {
  if (goals.length === 0) return [];
  return ['', '**Goals**', '', ...goals.map((goal) => {
    const value = goal.value(results);
    if (value === undefined || Number.isNaN(value)) return `- ⬜ not measured — ${goal.text}`;
    const shown = goal.unit === 'x' ? `${num(value)}×` : `${num(value)}${goal.unit === 'ms' ? ' ms' : goal.unit === 'mb' ? ' MB' : goal.unit === 's' ? ' s' : goal.unit === 'pct' ? ' %' : ''}`;
    return goal.met(value) ? `- ✅ met — ${goal.text}: **${shown}**` : `- ❌ **missed** — ${goal.text}: **${shown}**`;
  })];
}

/** Keeps only the summary keys and runs of the parts a section shows. */
function partsOf(results: ResultsFile, parts: string[] | undefined): { results: ResultsFile; runs: Array<[string, RunRecord]> } {
  const allRuns = Object.entries(results._runs ?? {});
  if (!parts) return { results, runs: allRuns };
  const runs = allRuns.filter(([part]) => parts.includes(part));
  const metrics = new Set(runs.flatMap(([, run]) => (run.settings['metrics'] as string[] | undefined) ?? []));
  const kept: ResultsFile = Object.fromEntries(Object.entries(results).filter(([k]) => !k.startsWith('_') && (metrics.size === 0 || metrics.has(k))));
  kept._runs = Object.fromEntries(runs);
  return { results: kept, runs };
}

export function renderSection(section: Section, file: ResultsFile | undefined, legacy: string | undefined): string[] {
  const out = [`## ${section.title} — \`${section.command}\``, '', section.about, ''];
  const chosen = file ? partsOf(file, section.parts) : undefined;
  if (!chosen || chosen.runs.length === 0) {
    out.push(`_Not yet run under the rules of [bench/README.md](../bench/README.md): no \`bench/results/${section.file}.json\` run for this section is committed._`);
    if (legacy) out.push('', '<details><summary>Figures published before those rules (not reproduced; kept for reference only)</summary>', '', legacy.trim(), '', '</details>');
    out.push('', ...goalLines(section.goals, {}));
    return out;
  }
  out.push(...chosen.runs.map(([part, run]) => machineLine(part, run)));
  const partMetrics = chosen.runs.map(([part, run]) => [part, run.settings['metrics'] as string[] | undefined] as const);
  if (partMetrics.every(([, m]) => m !== undefined) && partMetrics.length > 1) {
    for (const [part, metrics] of partMetrics) out.push('', `**${part}**`, '', ...metricsTable(chosen.results, metrics));
  } else {
    out.push('', ...metricsTable(chosen.results));
  }
  out.push(...ratioTable(chosen.runs.map(([, r]) => r)));
  const settings = settingsLines(chosen.runs);
  if (settings.length > 0) out.push('', ...settings);
  out.push(...goalLines(section.goals, chosen.results));
  return out;
}
