import { ValidationError } from '../../shared/errors.ts';
import { autoEts, candidateSpecs, fitEts, forecastEts, type EtsFit } from './ets.ts';
import type { EtsSpec } from './ets-core.ts';
import { fitTheta, forecastTheta, type ThetaFit } from './theta.ts';
import type { Forecast, IntervalLevel, PredictionInterval } from './types.ts';

export type ForecastMethod = 'auto' | 'ets' | 'theta' | 'combination';

export interface ForecastOptions {
  /** Observations per seasonal cycle (12 monthly, 4 quarterly, 7 daily, 1 none). */
  frequency: number;
  horizon: number;
  /** 'auto' = 'combination' (mean of the AICc-selected ETS and Theta, the most accurate here on M3). */
  method?: ForecastMethod;
  /** Force one ETS model, e.g. { error: 'M', trend: 'Ad', season: 'M' }. */
  etsModel?: EtsSpec;
  levels?: IntervalLevel[];
}

export interface ModelSummary {
  name: string;
  /** ETS: α, β, γ, φ; Theta: α, drift. */
  parameters: Record<string, number>;
  aic?: number;
  aicc?: number;
  bic?: number;
  loglik?: number;
  sigma2: number;
  mse: number;
}

export interface ForecastResult extends Forecast {
  method: Exclude<ForecastMethod, 'auto'>;
  model: string;
  frequency: number;
  horizon: number;
  n: number;
  components: ModelSummary[];
}

export const FORECAST_LIMITS = { maxValues: 5_000, maxHorizon: 1_000, maxFrequency: 366 } as const;

/** Forecasts a numeric series; validates its input and never throws on odd data (constant, short, negative, zero). */
export function forecast(values: readonly number[], options: ForecastOptions): ForecastResult {
  validate(values, options);
  const { frequency, horizon } = options;
  const levels = options.levels ?? [80, 95];
  const method = options.method === undefined || options.method === 'auto' ? 'combination' : options.method;
  const base = { frequency, horizon, n: values.length };
  const constant = values.every((v) => v === values[0]);
  if (values.length < 4 || constant) return { ...base, ...naive(values, horizon, levels), method, model: constant ? 'Constant' : 'Naive', components: [] };

  const etsFit = method === 'theta' ? undefined : options.etsModel ? fitEts(values, options.etsModel, frequency) : autoEts(values, frequency);
  const thetaFit = method === 'ets' ? undefined : fitTheta(values, frequency);
  if (options.etsModel && !etsFit) {
    throw new ValidationError(`ETS model ${JSON.stringify(options.etsModel)} cannot be fitted to ${values.length} values`, [
      { field: 'body/model', message: 'has more parameters than the series supports, or needs positive values' },
    ]);
  }
  const parts: Forecast[] = [];
  const components: ModelSummary[] = [];
  if (etsFit) {
    parts.push(forecastEts(etsFit, horizon, levels));
    components.push(etsSummary(etsFit));
  }
  if (thetaFit) {
    parts.push(forecastTheta(thetaFit, horizon, levels));
    components.push(thetaSummary(thetaFit));
  }
  if (parts.length === 0) return { ...base, ...naive(values, horizon, levels), method, model: 'Naive', components: [] };
  const combined = parts.length === 1 ? parts[0]! : average(parts);
  const model = components.length === 1 ? components[0]!.name : `Combination(${components.map((c) => c.name).join(', ')})`;
  return { ...base, ...combined, method: components.length === 1 && method === 'combination' ? (etsFit ? 'ets' : 'theta') : method, model, components };
}

function validate(values: readonly number[], options: ForecastOptions): void {
  const issues: { field: string; message: string }[] = [];
  if (!Array.isArray(values) || values.length === 0) issues.push({ field: 'body/values', message: 'must be a non-empty array of numbers' });
  else if (values.length > FORECAST_LIMITS.maxValues) issues.push({ field: 'body/values', message: `must hold at most ${FORECAST_LIMITS.maxValues} values` });
  else {
    const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > 1e300);
    if (bad >= 0) issues.push({ field: `body/values/${bad}`, message: 'must be a finite number' });
  }
  if (!Number.isInteger(options.frequency) || options.frequency < 1 || options.frequency > FORECAST_LIMITS.maxFrequency) {
    issues.push({ field: 'body/frequency', message: `must be a whole number from 1 to ${FORECAST_LIMITS.maxFrequency}` });
  }
  if (!Number.isInteger(options.horizon) || options.horizon < 1 || options.horizon > FORECAST_LIMITS.maxHorizon) {
    issues.push({ field: 'body/horizon', message: `must be a whole number from 1 to ${FORECAST_LIMITS.maxHorizon}` });
  }
  const first = issues[0];
  if (first) throw new ValidationError(`Invalid forecast request: ${first.field} ${first.message}`, issues);
}

function naive(values: readonly number[], horizon: number, levels: readonly IntervalLevel[]): Forecast {
  const last = values[values.length - 1]!;
  const diffs = values.slice(1).map((v, i) => v - values[i]!);
  const sigma = diffs.length > 0 ? Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / diffs.length) : 0;
  const mean = Array.from({ length: horizon }, () => last);
  const intervals = levels.map((level) => {
    const z = level === 95 ? 1.959963984540054 : 1.2815515655446004;
    return { level, lower: mean.map((v, h) => v - z * sigma * Math.sqrt(h + 1)), upper: mean.map((v, h) => v + z * sigma * Math.sqrt(h + 1)) };
  });
  return { mean, intervals };
}

/** Equal-weight combination; the interval bounds are averaged too (a simple, conservative approximation). */
function average(parts: Forecast[]): Forecast {
  const k = parts.length;
  const avg = (pick: (f: Forecast) => number[]) => pick(parts[0]!).map((_, h) => parts.reduce((s, f) => s + pick(f)[h]!, 0) / k);
  const intervals: PredictionInterval[] = parts[0]!.intervals.map((interval, i) => ({
    level: interval.level,
    lower: avg((f) => f.intervals[i]!.lower),
    upper: avg((f) => f.intervals[i]!.upper),
  }));
  return { mean: avg((f) => f.mean), intervals };
}

function etsSummary(fit: EtsFit): ModelSummary {
  const parameters: Record<string, number> = { alpha: fit.smoothing.alpha };
  if (fit.spec.trend !== 'N') parameters.beta = fit.smoothing.beta;
  if (fit.spec.season !== 'N') parameters.gamma = fit.smoothing.gamma;
  if (fit.spec.trend === 'Ad') parameters.phi = fit.smoothing.phi;
  return { name: fit.name, parameters, aic: fit.aic, aicc: fit.aicc, bic: fit.bic, loglik: fit.loglik, sigma2: fit.sigma2, mse: fit.mse };
}

function thetaSummary(fit: ThetaFit): ModelSummary {
  return { name: fit.name, parameters: { alpha: fit.alpha, drift: fit.drift }, sigma2: fit.sigma2, mse: fit.mse };
}

export { candidateSpecs };
