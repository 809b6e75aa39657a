export { forecast, FORECAST_LIMITS, type ForecastMethod, type ForecastOptions, type ForecastResult, type ModelSummary } from './forecast.ts';
export { autoEts, candidateSpecs, fitEts, forecastEts, type EtsFit, type EtsSpec } from './ets.ts';
export { fitTheta, forecastTheta, fitSes, type ThetaFit } from './theta.ts';
export { smape, mase } from './accuracy.ts';
export { seasonalPeriod, type TimeGrain } from './period.ts';
export type { Forecast, IntervalLevel, PredictionInterval } from './types.ts';
