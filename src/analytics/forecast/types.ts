/** Prediction-interval coverage in percent. */
export type IntervalLevel = 80 | 95;

export interface PredictionInterval {
  level: number;
  lower: number[];
  upper: number[];
}

export interface Forecast {
  mean: number[];
  intervals: PredictionInterval[];
}
