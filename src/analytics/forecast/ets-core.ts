/**
 * The ETS state-space recursion (Hyndman, Koehler, Ord & Snyder 2008), written the way R's `forecast::ets`
 * computes it (etscalc in etscalc.c): one set of state updates for both error types, which differ only in the
 * likelihood. Seasonal states are kept in a ring indexed by cycle position so a step costs O(1), not O(m).
 */
export type ErrorType = 'A' | 'M';
export type TrendType = 'N' | 'A' | 'Ad';
export type SeasonType = 'N' | 'A' | 'M';

export interface EtsSpec {
  error: ErrorType;
  trend: TrendType;
  season: SeasonType;
}

export interface Smoothing {
  alpha: number;
  beta: number;
  gamma: number;
  /** 1 unless the trend is damped. */
  phi: number;
}

/** State before the first observation; `seasonals[k]` applies to observations k, k+m, k+2m, … */
export interface EtsState {
  level: number;
  slope: number;
  seasonals: Float64Array;
}

const TOL = 1e-10;
const HUGE = 1e10;

export function specName(spec: EtsSpec): string {
  return `ETS(${spec.error},${spec.trend},${spec.season})`;
}

/**
 * Runs the filter over y. Returns the likelihood criterion R minimises (n·log SSE, plus 2Σlog|ŷ| for multiplicative
 * errors), the sum of squared errors, and leaves the final state in `state` (mutated). Writes one-step errors
 * to `errors` when given. NaN/Infinity signal an impossible parameter set. `y` is typed: the likelihood loop runs
 * thousands of times per fit, and typed-array reads are about twice as fast as a plain array's.
 */
export function runFilter(y: Float64Array, spec: EtsSpec, m: number, p: Smoothing, state: EtsState, errors?: Float64Array): { lik: number; sse: number } {
  let level = state.level;
  let slope = state.slope;
  const seas = state.seasonals;
  const { alpha, beta, gamma, phi } = p;
  const trended = spec.trend !== 'N';
  const seasonal = spec.season !== 'N';
  const multSeason = spec.season === 'M';
  const multError = spec.error === 'M';
  const betaOverAlpha = beta / alpha;
  let sse = 0;
  let logSum = 0;
  const n = y.length;
  // Cycle position as a counter (a modulo per step costs more than the rest of the step's arithmetic).
  let pos = 0;
  for (let t = 0; t < n; t++, pos = seasonal && pos + 1 < m ? pos + 1 : 0) {
    const oldSeason = seasonal ? seas[pos]! : multSeason ? 1 : 0;
    const phib = trended ? phi * slope : 0;
    const q = level + phib;
    const forecast = !seasonal ? q : multSeason ? q * oldSeason : q + oldSeason;
    const yt = y[t]!;
    let e: number;
    if (multError) {
      if (!(Math.abs(forecast) > TOL)) return { lik: Number.POSITIVE_INFINITY, sse: Number.NaN };
      e = (yt - forecast) / forecast;
      logSum += Math.log(Math.abs(forecast));
    } else e = yt - forecast;
    if (errors) errors[t] = e;
    sse += e * e;
    // State update (R's `update`), identical for both error types.
    let pAdj: number;
    if (!seasonal) pAdj = yt;
    else if (multSeason) pAdj = Math.abs(oldSeason) < TOL ? HUGE : yt / oldSeason;
    else pAdj = yt - oldSeason;
    const newLevel = q + alpha * (pAdj - q);
    if (trended) slope = phib + betaOverAlpha * (newLevel - level - phib);
    if (seasonal) {
      const tAdj = multSeason ? (Math.abs(q) < TOL ? HUGE : yt / q) : yt - q;
      seas[pos] = oldSeason + gamma * (tAdj - oldSeason);
    }
    level = newLevel;
  }
  state.level = level;
  state.slope = slope;
  let lik = n * Math.log(sse);
  if (multError) lik += 2 * logSum;
  return { lik: Number.isNaN(lik) ? Number.POSITIVE_INFINITY : lik, sse };
}

/** Point forecasts from a state after the last of n observations (n fixes the cycle position). */
export function pointForecasts(spec: EtsSpec, m: number, p: Smoothing, state: EtsState, n: number, horizon: number): number[] {
  const out: number[] = [];
  let damped = 0;
  let phiPower = 1;
  for (let h = 1; h <= horizon; h++) {
    phiPower *= p.phi;
    damped += spec.trend === 'Ad' ? phiPower : 1;
    const trendPart = spec.trend === 'N' ? state.level : state.level + damped * state.slope;
    if (spec.season === 'N') out.push(trendPart);
    else {
      const s = state.seasonals[(n + h - 1) % m]!;
      out.push(spec.season === 'M' ? trendPart * s : trendPart + s);
    }
  }
  return out;
}

/** One simulated path (for prediction intervals of the non-linear models); `draw` gives N(0, σ²) errors. */
export function simulatePath(spec: EtsSpec, m: number, p: Smoothing, start: EtsState, n: number, horizon: number, draw: () => number): Float64Array {
  const path = new Float64Array(horizon);
  let level = start.level;
  let slope = start.slope;
  const seas = Float64Array.from(start.seasonals);
  const seasonal = spec.season !== 'N';
  const multSeason = spec.season === 'M';
  for (let h = 0; h < horizon; h++) {
    const pos = seasonal ? (n + h) % m : 0;
    const oldSeason = seasonal ? seas[pos]! : multSeason ? 1 : 0;
    const phib = spec.trend === 'N' ? 0 : p.phi * slope;
    const q = level + phib;
    const mu = !seasonal ? q : multSeason ? q * oldSeason : q + oldSeason;
    const e = draw();
    const yt = spec.error === 'M' ? mu * (1 + e) : mu + e;
    path[h] = yt;
    const pAdj = !seasonal ? yt : multSeason ? yt / oldSeason : yt - oldSeason;
    const newLevel = q + p.alpha * (pAdj - q);
    if (spec.trend !== 'N') slope = phib + (p.beta / p.alpha) * (newLevel - level - phib);
    if (seasonal) seas[pos] = oldSeason + p.gamma * ((multSeason ? yt / q : yt - q) - oldSeason);
    level = newLevel;
  }
  return path;
}

/**
 * Forecast variance multipliers for the linear (additive-error, non-multiplicative-season) models:
 * Var(h) = σ²·(1 + Σ_{j<h} c_j²) with c_j = α + β·φ_j + γ·[j mod m = 0] (Hyndman et al. 2008, table 6.1, class 1).
 */
export function linearVarianceFactors(spec: EtsSpec, m: number, p: Smoothing, horizon: number): number[] {
  const factors: number[] = [];
  let acc = 1;
  let phiSum = 0;
  let phiPower = 1;
  for (let h = 1; h <= horizon; h++) {
    factors.push(acc);
    const j = h;
    phiPower *= p.phi;
    phiSum += spec.trend === 'Ad' ? phiPower : 1;
    let c = p.alpha;
    if (spec.trend !== 'N') c += p.beta * phiSum;
    if (spec.season !== 'N' && j % m === 0) c += p.gamma;
    acc += c * c;
  }
  return factors;
}

/**
 * R's `admissible()`: the parameter region where forecasts forget the distant past (the discount matrix is stable),
 * wider than the usual 0 < β < α < 1 box. The seasonal case tests the characteristic polynomial's roots with
 * the Schur–Cohn recursion instead of computing them.
 */
export function admissible(p: Smoothing, trended: boolean, seasonal: boolean, m: number): boolean {
  const { alpha, phi } = p;
  const beta = trended ? p.beta : 0;
  if (phi < 0 || phi > 1 + 1e-8) return false;
  if (!seasonal) {
    if (alpha < 1 - 1 / phi || alpha > 1 + 1 / phi) return false;
    if (trended && (beta < alpha * (phi - 1) || beta > (1 + phi) * (2 - alpha))) return false;
    return true;
  }
  const gamma = p.gamma;
  if (gamma < Math.max(1 - 1 / phi - alpha, 0) || gamma > 1 + 1 / phi - alpha) return false;
  if (alpha < 1 - 1 / phi - (gamma * (1 - m + phi + phi * m)) / (2 * phi * m)) return false;
  if (beta < -(1 - phi) * (gamma / m + alpha)) return false;
  const work = new Float64Array(m + 2);
  work[0] = phi * (1 - alpha - gamma);
  work[1] = alpha + beta - alpha * phi + gamma - 1;
  for (let i = 2; i < m; i++) work[i] = alpha + beta - alpha * phi;
  work[m] = alpha + beta - phi;
  work[m + 1] = 1;
  return rootsInUnitDisc(work);
}

let scratch = new Float64Array(32);

/**
 * Schur–Cohn: every root of Σ a_k z^k (increasing order) has |z| ≤ 1 (with R's 1e-10 slack on the boundary).
 * Overwrites `a`; it runs once per likelihood evaluation, so it allocates nothing after warm-up.
 */
export function rootsInUnitDisc(input: Float64Array): boolean {
  if (scratch.length < input.length) scratch = new Float64Array(input.length);
  let a: Float64Array = input;
  let b: Float64Array = scratch;
  let d = a.length - 1;
  while (d > 0 && a[d] === 0) d--;
  while (d > 0) {
    const a0 = a[0]!;
    const ad = a[d]!;
    if (Math.abs(a0) >= Math.abs(ad) * (1 + 1e-10)) return false;
    let scale = 0;
    for (let j = 0; j < d; j++) {
      const c = ad * a[j + 1]! - a0 * a[d - 1 - j]!;
      b[j] = c;
      scale = Math.max(scale, Math.abs(c));
    }
    d--;
    if (scale === 0) return true;
    for (let j = 0; j <= d; j++) b[j]! /= scale;
    if (b[d] === 0) return Math.abs(a0) < Math.abs(ad);
    [a, b] = [b, a];
  }
  return true;
}
