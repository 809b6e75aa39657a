import {
  specName,
  admissible,
  linearVarianceFactors,
  pointForecasts,
  runFilter,
  simulatePath,
  type EtsSpec,
  type EtsState,
  type Smoothing,
} from './ets-core.ts';
import { nelderMead } from './nelder-mead.ts';
import { linearTrend, mean, normalQuantile, normalSampler, seasonalFigure, sortedQuantile } from './series.ts';
import type { Forecast, IntervalLevel } from './types.ts';

export type { EtsSpec } from './ets-core.ts';

/** R's defaults: the usual region, intersected with the admissible one (bounds = "both"). */
const LOWER = { alpha: 1e-4, beta: 1e-4, gamma: 1e-4, phi: 0.8 };
const UPPER = { alpha: 0.9999, beta: 0.9999, gamma: 0.9999, phi: 0.98 };
const SIMULATED_PATHS = 2000;
/**
 * Simplex runs over all parameters after the partial one. One: a restart cost as much again and did not pay on M3
 * (every 30th series, combination: sMAPE 11.44 with a restart, 11.45 without; MASE 1.363 both).
 */
const FULL_ROUNDS = 1;

export interface EtsFit {
  spec: EtsSpec;
  name: string;
  m: number;
  n: number;
  smoothing: Smoothing;
  initial: EtsState;
  final: EtsState;
  /** Number of estimated parameters including σ (R's np). */
  parameters: number;
  sigma2: number;
  loglik: number;
  aic: number;
  aicc: number;
  bic: number;
  mse: number;
}

interface Layout {
  trended: boolean;
  damped: boolean;
  seasonal: boolean;
  /** Index of the first state in the parameter vector. */
  stateAt: number;
  length: number;
}

function layoutOf(spec: EtsSpec, m: number): Layout {
  const trended = spec.trend !== 'N';
  const damped = spec.trend === 'Ad';
  const seasonal = spec.season !== 'N';
  const stateAt = 1 + (trended ? 1 : 0) + (seasonal ? 1 : 0) + (damped ? 1 : 0);
  return { trended, damped, seasonal, stateAt, length: stateAt + 1 + (trended ? 1 : 0) + (seasonal ? m - 1 : 0) };
}

/** R's `initstate`: level and slope from a regression on the first (deseasonalised) values, seasonals from decomposition. */
function initialState(y: ArrayLike<number>, spec: EtsSpec, m: number): EtsState {
  const n = y.length;
  let seasonals = new Float64Array(0);
  let adjusted: ArrayLike<number> = y;
  if (spec.season !== 'N') {
    const cycles = Math.min(3, Math.floor(n / m));
    const type = spec.season === 'A' ? 'additive' : 'multiplicative';
    seasonals = Float64Array.from(seasonalFigure(Array.prototype.slice.call(y, 0, cycles * m) as number[], m, type));
    adjusted = Float64Array.from(y, (v, i) => (spec.season === 'A' ? v - seasonals[i % m]! : v / Math.max(seasonals[i % m]!, 1e-2)));
  }
  const maxn = Math.min(Math.max(10, 2 * m), n);
  if (spec.trend === 'N') return { level: mean(adjusted, 0, maxn), slope: 0, seasonals };
  const { intercept, slope } = linearTrend(adjusted, maxn);
  let level = intercept;
  let b = slope;
  if (Math.abs(level + b) < 1e-8) {
    level *= 1 + 1e-3;
    b *= 1 - 1e-3;
  }
  return { level, slope: b, seasonals };
}

/** R's `initparam`. */
function initialSmoothing(spec: EtsSpec, m: number): Smoothing {
  const alpha = LOWER.alpha + (0.2 * (UPPER.alpha - LOWER.alpha)) / m;
  const beta = spec.trend === 'N' ? 0 : LOWER.beta + 0.1 * (Math.min(UPPER.beta, alpha) - LOWER.beta);
  const gamma = spec.season === 'N' ? 0 : LOWER.gamma + 0.05 * (Math.min(UPPER.gamma, 1 - alpha) - LOWER.gamma);
  const phi = spec.trend === 'Ad' ? LOWER.phi + 0.99 * (UPPER.phi - LOWER.phi) : 1;
  return { alpha, beta, gamma, phi };
}

function usualBounds(p: Smoothing, layout: Layout): boolean {
  if (p.alpha < LOWER.alpha || p.alpha > UPPER.alpha) return false;
  if (layout.trended && (p.beta < LOWER.beta || p.beta > p.alpha)) return false;
  if (layout.seasonal && (p.gamma < LOWER.gamma || p.gamma > 1 - p.alpha)) return false;
  if (layout.damped && (p.phi < LOWER.phi || p.phi > UPPER.phi)) return false;
  return true;
}

/** Fits one ETS model by maximum likelihood (Nelder–Mead over smoothing parameters and initial states). */
export function fitEts(values: ArrayLike<number>, spec: EtsSpec, m: number): EtsFit | undefined {
  const y = values instanceof Float64Array ? values : Float64Array.from(values);
  const n = y.length;
  const period = spec.season === 'N' ? 1 : m;
  const layout = layoutOf(spec, period);
  const parameters = layout.length + 1;
  if (parameters >= n - 1) return undefined;
  // States are optimised in units of the data's scale so one simplex step size suits every coordinate.
  const scale = mean(Float64Array.from(y, Math.abs)) || 1;
  const start0 = initialState(y, spec, period);
  const smoothing0 = initialSmoothing(spec, m);
  const x0 = encode(smoothing0, start0, layout, spec, scale);
  const smoothing: Smoothing = { ...smoothing0 };
  const state: EtsState = { level: 0, slope: 0, seasonals: new Float64Array(period) };

  const objective = (x: Float64Array): number => {
    if (!decode(x, layout, spec, period, scale, smoothing, state)) return Number.POSITIVE_INFINITY;
    return runFilter(y, spec, period, smoothing, state).lik;
  };
  // One start, R's (small α). A second, fast-adapting start found higher likelihoods but worse forecasts on M3
  // (sMAPE 13.1 vs 11.4 for ETS alone on every 30th series) at twice the cost.
  const result = optimise(objective, x0, layout);
  if (!Number.isFinite(result.value)) return undefined;

  const best = Float64Array.from(result.x);
  decode(best, layout, spec, period, scale, smoothing, state);
  const initial: EtsState = { ...state, seasonals: Float64Array.from(state.seasonals) };
  const final: EtsState = { ...state, seasonals: Float64Array.from(state.seasonals) };
  const { lik, sse } = runFilter(y, spec, period, smoothing, final);
  if (!Number.isFinite(lik)) return undefined;
  const aic = lik + 2 * parameters;
  return {
    spec,
    name: specName(spec),
    m: period,
    n,
    smoothing: { ...smoothing },
    initial,
    final,
    parameters,
    sigma2: sse / (n - parameters),
    loglik: -0.5 * lik,
    aic,
    aicc: aic + (2 * parameters * (parameters + 1)) / (n - parameters - 1),
    bic: lik + Math.log(n) * parameters,
    mse: sse / n,
  };
}

/**
 * Nelder–Mead in stages: first the smoothing parameters, level and slope with the seasonal states held at their
 * decomposition values (few dimensions, quick), then everything (FULL_ROUNDS times, restarting from the best point
 * while that still improves).
 */
function optimise(objective: (x: Float64Array) => number, x0: number[], layout: Layout): { x: number[]; value: number } {
  // Smoothing parameters move in absolute steps (their optimum is often at the far end of [0, 1]); states relative to their size.
  const steps = (x: number[], scale: number) =>
    x.map((v, i) => (i < layout.stateAt ? (layout.damped && i === layout.stateAt - 1 ? 0.05 : scale * 2) : Math.max(scale * Math.abs(v), 0.02)));
  const budget = (dims: number) => 40 * dims + 100;
  let x = x0;
  let value = Number.POSITIVE_INFINITY;
  const head = layout.stateAt + 1 + (layout.trended ? 1 : 0);
  if (head < x0.length) {
    const full = Float64Array.from(x0);
    const partial = (p: Float64Array) => {
      full.set(p);
      return objective(full);
    };
    const first = nelderMead(partial, x0.slice(0, head), { steps: steps(x0.slice(0, head), 0.1), maxEvaluations: budget(head), tolerance: 1e-8 });
    x = [...first.x, ...x0.slice(head)];
    value = first.value;
  }
  for (let round = 0; round < FULL_ROUNDS; round++) {
    const next = nelderMead(objective, x, { steps: steps(x, round === 0 ? 0.1 : 0.05), maxEvaluations: budget(x.length), tolerance: 1e-8 });
    if (next.value >= value - 1e-6 * Math.abs(value)) break;
    x = next.x;
    value = next.value;
  }
  return { x, value };
}

function encode(p: Smoothing, s: EtsState, layout: Layout, spec: EtsSpec, scale: number): number[] {
  const x = [p.alpha];
  if (layout.trended) x.push(p.beta);
  if (layout.seasonal) x.push(p.gamma);
  if (layout.damped) x.push(p.phi);
  x.push(s.level / scale);
  if (layout.trended) x.push(s.slope / scale);
  if (layout.seasonal) for (let k = 0; k < s.seasonals.length - 1; k++) x.push(spec.season === 'A' ? s.seasonals[k]! / scale : s.seasonals[k]!);
  return x;
}

/** Fills `p` and `s` from x; false when x lies outside the admissible/usual region. */
function decode(x: Float64Array, layout: Layout, spec: EtsSpec, m: number, scale: number, p: Smoothing, s: EtsState): boolean {
  let i = 0;
  p.alpha = x[i++]!;
  p.beta = layout.trended ? x[i++]! : 0;
  p.gamma = layout.seasonal ? x[i++]! : 0;
  p.phi = layout.damped ? x[i++]! : 1;
  if (!usualBounds(p, layout) || !admissible(p, layout.trended, layout.seasonal, m)) return false;
  s.level = x[i++]! * scale;
  s.slope = layout.trended ? x[i++]! * scale : 0;
  if (layout.seasonal) {
    let sum = 0;
    for (let k = 0; k < m - 1; k++) {
      const v = spec.season === 'A' ? x[i++]! * scale : x[i++]!;
      if (spec.season === 'M' && v <= 0) return false;
      s.seasonals[k] = v;
      sum += v;
    }
    // The last seasonal closes the cycle: seasonals sum to 0 (additive) or average 1 (multiplicative).
    const last = spec.season === 'A' ? -sum : m - sum;
    if (spec.season === 'M' && last <= 0) return false;
    s.seasonals[m - 1] = last;
  }
  if (spec.error === 'M' && s.level <= 0 && spec.trend === 'N') return false;
  return true;
}

/** The candidate models R's `ets()` tries by default (no multiplicative trend; no additive error with multiplicative season). */
export function candidateSpecs(y: ArrayLike<number>, m: number): EtsSpec[] {
  const positive = Array.prototype.every.call(y, (v: number) => v > 0);
  const seasonalOk = m > 1 && m <= 24 && y.length >= 2 * m;
  const specs: EtsSpec[] = [];
  for (const error of positive ? (['A', 'M'] as const) : (['A'] as const)) {
    for (const trend of ['N', 'A', 'Ad'] as const) {
      for (const season of ['N', 'A', 'M'] as const) {
        if (season !== 'N' && !seasonalOk) continue;
        if (season === 'M' && (error === 'A' || !positive)) continue;
        specs.push({ error, trend, season });
      }
    }
  }
  return specs;
}

/** Fits every candidate and keeps the one with the lowest AICc (R's `ets(y)`). */
export function autoEts(values: ArrayLike<number>, m: number, specs: EtsSpec[] = candidateSpecs(values, m)): EtsFit | undefined {
  const y = Float64Array.from(values);
  let best: EtsFit | undefined;
  for (const spec of specs) {
    const fit = fitEts(y, spec, m);
    if (fit && Number.isFinite(fit.aicc) && (!best || fit.aicc < best.aicc)) best = fit;
  }
  return best;
}

/** Point forecasts and prediction intervals: analytic for the linear models, simulated (seeded) for the others. */
export function forecastEts(fit: EtsFit, horizon: number, levels: readonly IntervalLevel[]): Forecast {
  const mean = pointForecasts(fit.spec, fit.m, fit.smoothing, fit.final, fit.n, horizon);
  const linear = fit.spec.error === 'A' && fit.spec.season !== 'M';
  const intervals = levels.map((level) => {
    const z = normalQuantile(0.5 + level / 200);
    if (linear) {
      const factors = linearVarianceFactors(fit.spec, fit.m, fit.smoothing, horizon);
      const se = factors.map((f) => Math.sqrt(fit.sigma2 * f));
      return { level, lower: mean.map((v, h) => v - z * se[h]!), upper: mean.map((v, h) => v + z * se[h]!) };
    }
    return { level, lower: [] as number[], upper: [] as number[] };
  });
  if (!linear) fillSimulatedIntervals(fit, horizon, intervals);
  return { mean, intervals };
}

function fillSimulatedIntervals(fit: EtsFit, horizon: number, intervals: { level: number; lower: number[]; upper: number[] }[]): void {
  const sigma = Math.sqrt(fit.sigma2);
  const normal = normalSampler(0x5eed + fit.n);
  const draw = () => sigma * normal();
  const byStep = Array.from({ length: horizon }, () => new Float64Array(SIMULATED_PATHS));
  for (let i = 0; i < SIMULATED_PATHS; i++) {
    const path = simulatePath(fit.spec, fit.m, fit.smoothing, fit.final, fit.n, horizon, draw);
    for (let h = 0; h < horizon; h++) byStep[h]![i] = path[h]!;
  }
  for (const sample of byStep) sample.sort();
  for (const interval of intervals) {
    const tail = (100 - interval.level) / 200;
    interval.lower = byStep.map((s) => sortedQuantile(s, tail));
    interval.upper = byStep.map((s) => sortedQuantile(s, 1 - tail));
  }
}
