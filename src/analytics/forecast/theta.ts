import { nelderMead } from './nelder-mead.ts';
import { isSeasonal, linearTrend, normalQuantile, seasonalFigure } from './series.ts';
import type { Forecast, IntervalLevel } from './types.ts';

export interface ThetaFit {
  name: string;
  seasonal: boolean;
  alpha: number;
  level: number;
  /** Half the slope of the linear trend (the θ=0 line's contribution). */
  drift: number;
  sigma2: number;
  mse: number;
  n: number;
  m: number;
  /** Multiplicative seasonal figure by cycle position, when the series was deseasonalised. */
  figure: number[] | undefined;
}

/** Simple exponential smoothing with α and ℓ0 chosen by least squares (R's `ses`, initial = "optimal"). */
export function fitSes(y: ArrayLike<number>): { alpha: number; level: number; sse: number } {
  const n = y.length;
  const scale = Math.abs(y[0]!) || 1;
  const sse = (alpha: number, l0: number): { sse: number; level: number } => {
    let level = l0;
    let total = 0;
    for (let t = 0; t < n; t++) {
      const e = y[t]! - level;
      total += e * e;
      level += alpha * e;
    }
    return { sse: total, level };
  };
  const objective = (x: Float64Array) => (x[0]! < 1e-4 || x[0]! > 0.9999 ? Number.POSITIVE_INFINITY : sse(x[0]!, x[1]! * scale).sse);
  const start = [0.1, (y[0]! + (y[1] ?? y[0]!)) / 2 / scale];
  const result = nelderMead(objective, start, { steps: [0.05, 0.1], maxEvaluations: 600, tolerance: 1e-10 });
  const alpha = result.x[0]!;
  const fitted = sse(alpha, result.x[1]! * scale);
  return { alpha, level: fitted.level, sse: fitted.sse };
}

/** The Theta method as R's `forecast::thetaf` computes it (SES with drift, on multiplicatively deseasonalised data). */
export function fitTheta(y: ArrayLike<number>, m: number): ThetaFit {
  const n = y.length;
  const constant = Array.prototype.every.call(y, (v: number) => v === y[0]);
  const seasonal = !constant && isSeasonal(y, m) && Array.prototype.every.call(y, (v: number) => v > 0);
  const figure = seasonal ? seasonalFigure(y, m, 'multiplicative') : undefined;
  const x = figure ? Float64Array.from(y, (v, i) => v / figure[i % m]!) : Float64Array.from(y);
  const ses = fitSes(x);
  const { slope } = linearTrend(x, n, 0);
  return {
    name: seasonal ? 'Theta (seasonally adjusted)' : 'Theta',
    seasonal,
    alpha: ses.alpha,
    level: ses.level,
    drift: slope / 2,
    sigma2: ses.sse / Math.max(n - 3, 1),
    mse: ses.sse / n,
    n,
    m,
    figure,
  };
}

export function forecastTheta(fit: ThetaFit, horizon: number, levels: readonly IntervalLevel[]): Forecast {
  const alpha = Math.max(1e-10, fit.alpha);
  const offset = (1 - (1 - alpha) ** fit.n) / alpha;
  const seasonOf = (h: number) => (fit.figure ? fit.figure[(fit.n + h) % fit.m]! : 1);
  const mean: number[] = [];
  const se: number[] = [];
  for (let h = 0; h < horizon; h++) {
    mean.push((fit.level + fit.drift * (h + offset)) * seasonOf(h));
    se.push(Math.sqrt(fit.sigma2) * Math.sqrt(h * alpha * alpha + 1));
  }
  // Like thetaf, the intervals are those of the SES model around the (reseasonalised) Theta mean.
  const intervals = levels.map((level) => {
    const z = normalQuantile(0.5 + level / 200);
    return { level, lower: mean.map((v, h) => v - z * se[h]!), upper: mean.map((v, h) => v + z * se[h]!) };
  });
  return { mean, intervals };
}
