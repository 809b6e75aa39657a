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

function metricsTable(results: ResultsFile, only?: readonly string[], implementationsOnly?: readonly string[]): string[] {
  const metrics = Object.entries(results).filter(
    ([k, v]) => !k.startsWith('_') && v !== null && typeof v === 'object' && !Array.isArray(v) && (!only || only.includes(k)),
  ) as Array<[string, Record<string, unknown>]>;
  if (metrics.length === 0) return [];
  const implementations = [...new Set(metrics.flatMap(([, values]) => Object.keys(values)))].filter(
    (i) => !implementationsOnly || implementationsOnly.includes(i),
  );
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

/** Above this share of all CPUs busy before a run started, something else was running. */
const BUSY_CPU_PCT = 20;

function machineLine(part: string, run: RunRecord): string {
  const m = run.machine;
  const versions = [
    `Node ${m.node}`,
    m.redis ? `Redis ${m.redis}` : '',
    m.postgres ? `PostgreSQL ${m.postgres}` : '',
    ...Object.entries(m.packages).map(([n, v]) => `${n} ${v}`),
  ].filter(Boolean);
  const idle = m.cpuBusyBeforePct === undefined ? '' : `, CPU ${m.cpuBusyBeforePct} % busy in the second before it started`;
  const load = `load average ${m.loadBefore.join('/')} before, ${m.loadAfter?.join('/') ?? '?'} after${idle}`;
  // Rule 7: a run on a busy machine says so. The CPU sampled just before the run is the direct test; runs recorded
  // before that sample existed fall back to the 1-minute load average when the run began (the load after a run
  // counts the benchmark's own processes, so it says nothing about other work).
  const busyMachine = m.cpuBusyBeforePct !== undefined ? m.cpuBusyBeforePct > BUSY_CPU_PCT : (m.loadBefore[0] ?? 0) > 1.5;
  const busy = busyMachine ? ' ⚠️ **busy machine: rerun on an idle one before quoting these figures**' : '';
  return `- **${part}**: \`${run.command}\`, ${run.startedAt.slice(0, 16)}Z, ${m.cpus} × ${m.cpuModel}, ${load}; ${versions.join(', ')}.${busy}`;
}

function settingsLines(runs: Array<[string, RunRecord]>): string[] {
  const lines: string[] = [];
  for (const [part, run] of runs) {
    const skip = new Set(['metrics', 'implementations', 'durability']);
    const settings = Object.entries(run.settings)
      .filter(([k]) => !skip.has(k))
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    if (settings.length > 0) lines.push(`- ${part} settings — ${settings.join('; ')}`);
    // Durability beside the figures, one line per implementation (the rules: same durability, or the difference written down).
    const durability = run.settings['durability'];
    if (typeof durability === 'string') lines.push(`- ${part} durability — ${durability}`);
    else if (durability !== null && typeof durability === 'object') {
      for (const [implementation, text] of Object.entries(durability)) lines.push(`- ${part} durability of **${implementation}** — ${String(text)}`);
    }
    for (const note of run.notes ?? []) lines.push(`- ${note}`);
  }
  return lines;
}

const UNITS: Record<Goal['unit'], string> = {
  x: '×',
  ms: ' ms',
  'per-s': '/s',
  count: '',
  mb: ' MB',
  s: ' s',
  pct: ' %',
  kb: ' kB',
  score: '',
  'mb-per-s': ' MB/s',
};

function goalLines(goals: Goal[], results: ResultsFile): string[] {
  if (goals.length === 0) return [];
  return [
    '',
    '**Goals**',
    '',
    ...goals.map((goal) => {
      const value = goal.value(results);
      if (value === undefined || Number.isNaN(value)) return `- ⬜ not yet measured — ${goal.text}`;
      const shown = `${num(value)}${UNITS[goal.unit]}`;
      if (goal.exceeded?.(value)) return `- ✅ exceeded — ${goal.text}: **${shown}**`;
      return goal.met(value) ? `- ✅ met — ${goal.text}: **${shown}**` : `- ❌ **missed** — ${goal.text}: **${shown}**`;
    }),
  ];
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
  const goals = (results: ResultsFile): Goal[] => [...section.goals, ...(section.goalsFrom?.(results) ?? [])];
  if (!file) {
    out.push(
      `_⬜ Not yet measured: no \`bench/results/${section.file}.json\` is committed. Run \`${section.command}\` (or \`npm run bench:all\`) on an idle machine, then \`npm run bench:report\`._`,
    );
    if (legacy)
      out.push(
        '',
        '<details><summary>Figures published before the rules of bench/README.md (not reproduced; kept for reference until this section is measured)</summary>',
        '',
        legacy.trim(),
        '',
        '</details>',
      );
    out.push(...goalLines(goals({}), {}));
    return out;
  }
  const chosen = partsOf(file, section.parts);
  if (chosen.runs.length === 0) {
    if (section.parts || !section.metrics) {
      out.push(
        `_⬜ Not yet measured: \`bench/results/${section.file}.json\` has no run of ${section.parts ? `part ${section.parts.map((p) => `\`${p}\``).join(', ')}` : 'this section'}. Run \`${section.command}\`._`,
      );
      out.push(...goalLines(goals({}), {}));
      return out;
    }
    // A results file written without bench/lib: its figures, but no machine facts or per-round data to judge them by.
    out.push(
      `_This results file carries no run record (machine, load average, rounds): \`${section.command}\` does not write one through \`bench/lib\` yet, so the figures below cannot be checked against the rules of [bench/README.md](../bench/README.md)._`,
    );
    out.push('', ...metricsTable(file, section.metrics));
    out.push(...goalLines(goals(file), file));
    return out;
  }
  out.push(...chosen.runs.map(([part, run]) => machineLine(part, run)));
  const partMetrics = chosen.runs.map(
    ([part, run]) => [part, run.settings['metrics'] as string[] | undefined, run.settings['implementations'] as string[] | undefined] as const,
  );
  if (partMetrics.every(([, m]) => m !== undefined) && partMetrics.length > 1) {
    for (const [part, metrics, implementations] of partMetrics) out.push('', `**${part}**`, '', ...metricsTable(chosen.results, metrics, implementations));
  } else {
    out.push('', ...metricsTable(chosen.results, section.metrics, partMetrics.length === 1 ? partMetrics[0]?.[2] : undefined));
  }
  out.push(...ratioTable(chosen.runs.map(([, r]) => r)));
  const settings = settingsLines(chosen.runs);
  if (settings.length > 0) out.push('', ...settings);
  out.push(...goalLines(goals(chosen.results), chosen.results));
  return out;
}
