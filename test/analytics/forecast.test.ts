import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { autoEts, fitEts, forecast, forecastEts, mase, seasonalPeriod, smape } from '../../src/analytics/index.ts';
import { rootsInUnitDisc } from '../../src/analytics/forecast/ets-core.ts';

const AIR = [
  112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118, 115, 126, 141, 135, 125, 149, 170, 170, 158, 133, 114, 140, 145, 150, 178, 163, 172, 178, 199,
  199, 184, 162, 146, 166, 171, 180, 193, 181, 183, 218, 230, 242, 209, 191, 172, 194, 196, 196, 236, 235, 229, 243, 264, 272, 237, 211, 180, 201, 204, 188,
  235, 227, 234, 264, 302, 293, 259, 229, 203, 229, 242, 233, 267, 269, 270, 315, 364, 347, 312, 274, 237, 278, 284, 277, 317, 313, 318, 374, 413, 405, 355,
  306, 271, 306, 315, 301, 356, 348, 355, 422, 465, 467, 404, 347, 305, 336, 340, 318, 362, 348, 363, 435, 491, 505, 404, 359, 310, 337, 360, 342, 406, 396,
  420, 472, 548, 559, 463, 407, 362, 405, 417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432,
];

function hasR(): boolean {
  try {
    execFileSync('Rscript', ['-e', 'suppressMessages(library(forecast))'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('forecasting', () => {
  it("Theta reproduces R's forecast::thetaf on AirPassengers (golden values from R 4.2 / forecast 8.20)", () => {
    const r = forecast(AIR, { frequency: 12, horizon: 12, method: 'theta' });
    const golden = [440.0782, 428.3843, 489.7071, 475.7046, 479.6704, 545.3663, 602.752, 601.1008, 523.9515, 456.6271, 397.9537, 447.6449];
    r.mean.forEach((v, i) => expect(v).toBeCloseTo(golden[i]!, 2));
    expect(r.model).toBe('Theta (seasonally adjusted)');
  });

  it.runIf(hasR())("ETS fits at least as well as R's ets() for the same model (AICc no worse), run live in R", () => {
    const out = execFileSync(
      'Rscript',
      [
        '-e',
        `suppressMessages(library(forecast)); for (m in c("MAM","AAN","ANN")) cat(ets(AirPassengers, model=m, damped=FALSE)$aicc, "\\n"); cat(ets(AirPassengers)$aicc, "\\n")`,
      ],
      { encoding: 'utf8' },
    );
    const [mam, aan, ann, auto] = out.trim().split('\n').map(Number) as [number, number, number, number];
    expect(fitEts(AIR, { error: 'M', trend: 'A', season: 'M' }, 12)!.aicc).toBeLessThanOrEqual(mam + 0.5);
    expect(fitEts(AIR, { error: 'A', trend: 'A', season: 'N' }, 12)!.aicc).toBeLessThanOrEqual(aan + 0.5);
    expect(fitEts(AIR, { error: 'A', trend: 'N', season: 'N' }, 12)!.aicc).toBeLessThanOrEqual(ann + 0.5);
    // Model selection lands within 0.1 % of R's AICc (both are local optimisers over 15 models).
    expect(autoEts(AIR, 12)!.aicc).toBeLessThanOrEqual(auto * 1.001);
  });

  it('selects a seasonal model for seasonal data and gives ordered 80/95 % intervals', () => {
    const r = forecast(AIR, { frequency: 12, horizon: 18, method: 'ets' });
    expect(r.model).toMatch(/^ETS\(\w,\w+,[AM]\)$/);
    const [i80, i95] = r.intervals;
    r.mean.forEach((m, h) => {
      expect(i95!.lower[h]!).toBeLessThan(i80!.lower[h]!);
      expect(i80!.lower[h]!).toBeLessThan(m);
      expect(m).toBeLessThan(i80!.upper[h]!);
      expect(i80!.upper[h]!).toBeLessThan(i95!.upper[h]!);
    });
  });

  it('analytic intervals of a linear model agree with simulated ones', () => {
    const fit = fitEts(
      AIR.map((v) => v + 1000),
      { error: 'A', trend: 'Ad', season: 'A' },
      12,
    )!;
    const analytic = forecastEts(fit, 12, [95]);
    const simulated = forecastEts({ ...fit, spec: { ...fit.spec, error: 'M' }, sigma2: fit.sigma2 / analytic.mean[0]! ** 2 }, 1, [95]);
    const halfA = analytic.intervals[0]!.upper[0]! - analytic.mean[0]!;
    const halfS = simulated.intervals[0]!.upper[0]! - simulated.mean[0]!;
    expect(halfS / halfA).toBeGreaterThan(0.9);
    expect(halfS / halfA).toBeLessThan(1.1);
  });

  it('admissible region: Schur–Cohn agrees with known roots', () => {
    expect(rootsInUnitDisc(Float64Array.from([-0.45, 0.4, 1]))).toBe(true); // roots 0.5, −0.9
    expect(rootsInUnitDisc(Float64Array.from([0.22, -1.3, 1]))).toBe(false); // roots 1.1, 0.2
    expect(rootsInUnitDisc(Float64Array.from([-1.2, 0, 0, 1]))).toBe(false); // |root| = 1.2^(1/3)
    expect(rootsInUnitDisc(Float64Array.from([-0.5, 0, 0, 1]))).toBe(true);
  });

  it('odd series never crash: constant, short, negative, zeros, huge', () => {
    expect(forecast([5, 5, 5, 5, 5, 5], { frequency: 12, horizon: 3 }).mean).toEqual([5, 5, 5]);
    expect(forecast([7], { frequency: 1, horizon: 2 }).mean).toEqual([7, 7]);
    expect(forecast([1, 2, 3], { frequency: 4, horizon: 2 }).model).toBe('Naive');
    const negative = forecast([-3, 4, -2, 6, -1, 8, 0, 9, 1, 11, 2, 12], { frequency: 2, horizon: 4 });
    expect(negative.mean.every(Number.isFinite)).toBe(true);
    expect(forecast([0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 3, 0], { frequency: 1, horizon: 2 }).mean.every(Number.isFinite)).toBe(true);
    expect(
      forecast(
        AIR.map((v) => v * 1e200),
        { frequency: 12, horizon: 2 },
      ).mean.every(Number.isFinite),
    ).toBe(true);
  });

  it('refuses invalid input with a 400 naming the field', () => {
    const issue = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { status: number; issues: { field: string }[] }).issues[0]!.field;
      }
      return 'no error';
    };
    expect(issue(() => forecast([1, Number.NaN], { frequency: 1, horizon: 1 }))).toBe('body/values/1');
    expect(issue(() => forecast([1, 2], { frequency: 1, horizon: 0 }))).toBe('body/horizon');
    expect(issue(() => forecast([1, 2], { frequency: 1.5, horizon: 1 }))).toBe('body/frequency');
    expect(issue(() => forecast([], { frequency: 1, horizon: 1 }))).toBe('body/values');
  });

  it('accuracy metrics and the grain → period map', () => {
    expect(smape([100, 200], [110, 180])).toBeCloseTo(((200 * 10) / 210 + (200 * 20) / 380) / 2, 10);
    // MASE scale: in-sample seasonal naive MAE (lag 2 here) = 1.
    expect(mase([1, 2, 2, 3, 3, 4], [5], [6], 2)).toBeCloseTo(1, 10);
    expect([seasonalPeriod('day'), seasonalPeriod('week'), seasonalPeriod('month'), seasonalPeriod('quarter'), seasonalPeriod('year')]).toEqual([
      7, 52, 12, 4, 1,
    ]);
  });
});
