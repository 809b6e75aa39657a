import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forecast, mase, smape } from '../../src/analytics/index.ts';
import type { Summary } from '../lib/results.ts';
import { percentile, tidy } from '../lib/stats.ts';
import { loadM3, sample } from './m3.ts';

export interface ForecastPart {
  summary: Summary;
  settings: Record<string, unknown>;
  /** CPU ms of each of our fits, in series order. */
  rounds: { fitCpuMs: number[] };
}

/**
 * Accuracy on the M3 competition set: our automatic forecast, and ETS and Theta alone, against R's `ets()` and
 * `thetaf()` (the `forecast` package) run by Rscript on the same series. Accuracy is deterministic, so it is one
 * pass; the spread reported is that of the per-series fit times.
 */
export function forecastPart(work: string, step: number): ForecastPart {
  const series = sample(loadM3(), step);
  const input = join(work, 'm3.jsonl');
  writeFileSync(input, `${series.map((s) => JSON.stringify(s)).join('\n')}\n`);
  console.error(`forecast: ${series.length} M3 series; R's ets() and thetaf() first…`);
  const rStart = performance.now();
  execFileSync('Rscript', [new URL('./reference.R', import.meta.url).pathname, input, join(work, 'r.jsonl')], { stdio: 'inherit' });
  const rSeconds = (performance.now() - rStart) / 1000;
  const reference = new Map(
    readFileSync(join(work, 'r.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; ets: number[]; theta: number[] })
      .map((r) => [r.id, r]),
  );
  const methods = ['ai-stack', 'theta', 'r-ets', 'ai-stack-ets-only', 'ai-stack-theta-only'] as const;
  const totals = Object.fromEntries(methods.map((m) => [m, { smape: 0, mase: 0 }])) as Record<(typeof methods)[number], { smape: number; mase: number }>;
  const cpuMs: number[] = [];
  for (const s of series) {
    const r = reference.get(s.id);
    if (!r) throw new Error(`R gave no forecast for ${s.id}`);
    const c0 = process.cpuUsage();
    const ours = forecast(s.x, { frequency: s.frequency, horizon: s.h });
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
    const forecasts: Record<(typeof methods)[number], number[]> = {
      'ai-stack': ours.mean,
      theta: r.theta,
      'r-ets': r.ets,
      'ai-stack-ets-only': forecast(s.x, { frequency: s.frequency, horizon: s.h, method: 'ets' }).mean,
      'ai-stack-theta-only': forecast(s.x, { frequency: s.frequency, horizon: s.h, method: 'theta' }).mean,
    };
    for (const m of methods) {
      totals[m].smape += smape(s.xx, forecasts[m]);
      totals[m].mase += mase(s.x, s.xx, forecasts[m], s.frequency);
    }
  }
  const n = series.length;
  const mean = (pick: (t: { smape: number; mase: number }) => number) =>
    Object.fromEntries(methods.map((m) => [m, Math.round((pick(totals[m]) / n) * 1000) / 1000]));
  const summary: Summary = {
    forecast_smape: mean((t) => t.smape),
    forecast_mase: mean((t) => t.mase),
    forecast_fit_cpu_ms: {
      p50: tidy(percentile(cpuMs, 0.5)),
      p95: tidy(percentile(cpuMs, 0.95)),
      max: tidy(Math.max(...cpuMs)),
      'r-seconds-total': tidy(rSeconds),
    },
  };
  console.error(summary);
  return {
    summary,
    rounds: { fitCpuMs: cpuMs },
    settings: {
      set: `M3 (Mcomp data), every ${step}th series: ${n} of 3,003 (yearly, quarterly, monthly, other)`,
      series: n,
      reference: `R forecast package: ets() and thetaf(), default settings, same horizons (bench/analytics/reference.R); ${rVersions()}`,
      ours: 'forecast() with automatic model choice (ETS by AICc, Theta, combination); -ets-only / -theta-only for one method',
    },
  };
}

function rVersions(): string {
  try {
    return execFileSync('Rscript', ['-e', 'cat(R.version.string, "; forecast", as.character(packageVersion("forecast")))'], { encoding: 'utf8' }).trim();
  } catch {
    return 'R version unknown';
  }
}
