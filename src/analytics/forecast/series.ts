/** Small numeric helpers shared by the forecasting methods (all as R's `stats` defines them). */

export function mean(values: ArrayLike<number>, from = 0, to = values.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i]!;
  return sum / (to - from);
}

/** Ordinary least squares of y on x = 1..n (R's `lsfit(1:n, y)`): intercept and slope. */
export function linearTrend(y: ArrayLike<number>, n = y.length, firstX = 1): { intercept: number; slope: number } {
  const xMean = firstX + (n - 1) / 2;
  const yMean = mean(y, 0, n);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = firstX + i - xMean;
    sxy += dx * (y[i]! - yMean);
    sxx += dx * dx;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { intercept: yMean - slope * xMean, slope };
}

/**
 * Classical decomposition (R's `decompose`): a centred moving average of order m is the trend; the seasonal
 * figure is the mean detrended value at each cycle position (counted from the first observation), normalised
 * to sum 0 (additive) or average 1 (multiplicative). Returns the m figures; position i applies to y[i], y[i+m], …
 */
export function seasonalFigure(y: ArrayLike<number>, m: number, type: 'additive' | 'multiplicative'): number[] {
  const n = y.length;
  const half = Math.floor(m / 2);
  const sums = new Array<number>(m).fill(0);
  const counts = new Array<number>(m).fill(0);
  for (let t = half; t < n - half; t++) {
    let trend: number;
    if (m % 2 === 0) {
      let s = 0.5 * (y[t - half]! + y[t + half]!);
      for (let j = t - half + 1; j < t + half; j++) s += y[j]!;
      trend = s / m;
    } else {
      let s = 0;
      for (let j = t - half; j <= t + half; j++) s += y[j]!;
      trend = s / m;
    }
    const detrended = type === 'additive' ? y[t]! - trend : y[t]! / trend;
    if (!Number.isFinite(detrended)) continue;
    sums[t % m]! += detrended;
    counts[t % m]!++;
  }
  const figure = sums.map((s, i) => (counts[i]! > 0 ? s / counts[i]! : type === 'additive' ? 0 : 1));
  const centre = mean(figure);
  return figure.map((v) => (type === 'additive' ? v - centre : v / centre));
}

/** Sample autocorrelations at lags 1..maxLag (R's `acf`). */
export function autocorrelations(y: ArrayLike<number>, maxLag: number): number[] {
  const n = y.length;
  const mu = mean(y);
  let c0 = 0;
  for (let i = 0; i < n; i++) c0 += (y[i]! - mu) ** 2;
  const result: number[] = [];
  for (let lag = 1; lag <= maxLag; lag++) {
    let c = 0;
    for (let i = lag; i < n; i++) c += (y[i]! - mu) * (y[i - lag]! - mu);
    result.push(c0 === 0 ? 0 : c / c0);
  }
  return result;
}

/**
 * The M-competitions' seasonality test (90 %): |acf(m)| beyond 1.645·sqrt((1 + 2Σ_{k<m} acf(k)²)/n).
 * R's `thetaf` runs it when n > 2m; the M4 benchmarks when n ≥ 3m.
 */
export function isSeasonal(y: ArrayLike<number>, m: number, minLength = 2 * m + 1): boolean {
  if (m <= 1 || y.length < minLength) return false;
  const r = autocorrelations(y, m);
  let sum = 0;
  for (let k = 0; k < m - 1; k++) sum += r[k]! ** 2;
  const limit = 1.6448536269514722 * Math.sqrt((1 + 2 * sum) / y.length);
  return Math.abs(r[m - 1]!) > limit;
}

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9 after one Newton step). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let q: number;
  if (p < low) {
    const r = Math.sqrt(-2 * Math.log(p));
    q = (((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) / ((((d[0]! * r + d[1]!) * r + d[2]!) * r + d[3]!) * r + 1);
  } else if (p <= 1 - low) {
    const r = p - 0.5;
    const s = r * r;
    q =
      ((((((a[0]! * s + a[1]!) * s + a[2]!) * s + a[3]!) * s + a[4]!) * s + a[5]!) * r) /
      (((((b[0]! * s + b[1]!) * s + b[2]!) * s + b[3]!) * s + b[4]!) * s + 1);
  } else {
    const r = Math.sqrt(-2 * Math.log(1 - p));
    q = -(((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) / ((((d[0]! * r + d[1]!) * r + d[2]!) * r + d[3]!) * r + 1);
  }
  return q;
}

/** A small deterministic PRNG (mulberry32) and Box–Muller normals: simulated intervals are reproducible. */
export function normalSampler(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const u = Math.max(uniform(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

/** Quantile of a sorted sample (R's type 7). */
export function sortedQuantile(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
