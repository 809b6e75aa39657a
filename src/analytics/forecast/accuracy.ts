/** Forecast accuracy as the M-competitions score it. */

/** Symmetric MAPE in percent (M3/M4 definition: 200·|y − ŷ| / (|y| + |ŷ|)). */
export function smape(actual: readonly number[], predicted: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const denom = Math.abs(actual[i]!) + Math.abs(predicted[i]!);
    sum += denom === 0 ? 0 : (200 * Math.abs(actual[i]! - predicted[i]!)) / denom;
  }
  return sum / actual.length;
}

/** Mean absolute scaled error: out-of-sample MAE over the in-sample MAE of the seasonal naive forecast (lag m). */
export function mase(insample: readonly number[], actual: readonly number[], predicted: readonly number[], m: number): number {
  const lag = insample.length > m ? m : 1;
  let scale = 0;
  for (let i = lag; i < insample.length; i++) scale += Math.abs(insample[i]! - insample[i - lag]!);
  scale /= insample.length - lag;
  let mae = 0;
  for (let i = 0; i < actual.length; i++) mae += Math.abs(actual[i]! - predicted[i]!);
  mae /= actual.length;
  return scale === 0 ? Number.NaN : mae / scale;
}
