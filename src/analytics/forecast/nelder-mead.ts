/**
 * Nelder–Mead minimiser (the optimiser R's `ets()` uses). Infeasible points return Infinity from `f`,
 * which the simplex treats as worst and walks away from; that is how parameter bounds are enforced.
 */
export interface NelderMeadOptions {
  /** Initial simplex step per coordinate. */
  steps: number[];
  maxEvaluations: number;
  /** Stop when the simplex's function values differ by less than this (relative). */
  tolerance: number;
}

export function nelderMead(f: (x: Float64Array) => number, start: number[], options: NelderMeadOptions): { x: number[]; value: number; evaluations: number } {
  const n = start.length;
  const points: Float64Array[] = [Float64Array.from(start)];
  for (let i = 0; i < n; i++) {
    const p = Float64Array.from(start);
    p[i] = (p[i] ?? 0) + (options.steps[i] ?? 0.1);
    points.push(p);
  }
  const values = points.map((p) => f(p));
  let evaluations = n + 1;
  const centroid = new Float64Array(n);
  const trial = new Float64Array(n);
  const trial2 = new Float64Array(n);
  const order = Array.from({ length: n + 1 }, (_, i) => i);

  const along = (out: Float64Array, from: Float64Array, coef: number): void => {
    for (let j = 0; j < n; j++) out[j] = centroid[j]! + coef * (from[j]! - centroid[j]!);
  };

  while (evaluations < options.maxEvaluations) {
    order.sort((a, b) => values[a]! - values[b]!);
    const best = order[0]!;
    const worst = order[n]!;
    const secondWorst = order[n - 1]!;
    const fBest = values[best]!;
    const fWorst = values[worst]!;
    if (Number.isFinite(fWorst) && Math.abs(fWorst - fBest) <= options.tolerance * (Math.abs(fBest) + options.tolerance)) break;

    centroid.fill(0);
    for (const i of order) if (i !== worst) for (let j = 0; j < n; j++) centroid[j]! += points[i]![j]! / n;

    along(trial, points[worst]!, -1);
    const fReflect = f(trial);
    evaluations++;
    if (fReflect < fBest) {
      along(trial2, points[worst]!, -2);
      const fExpand = f(trial2);
      evaluations++;
      if (fExpand < fReflect) accept(trial2, fExpand);
      else accept(trial, fReflect);
    } else if (fReflect < values[secondWorst]!) {
      accept(trial, fReflect);
    } else {
      const outside = fReflect < fWorst;
      along(trial2, outside ? trial : points[worst]!, 0.5);
      const fContract = f(trial2);
      evaluations++;
      if (fContract < Math.min(fReflect, fWorst)) accept(trial2, fContract);
      else {
        const anchor = points[best]!;
        for (const i of order) {
          if (i === best) continue;
          const p = points[i]!;
          for (let j = 0; j < n; j++) p[j] = anchor[j]! + 0.5 * (p[j]! - anchor[j]!);
          values[i] = f(p);
          evaluations++;
        }
      }
    }

    function accept(point: Float64Array, value: number): void {
      points[worst]!.set(point);
      values[worst] = value;
    }
  }
  let bestIndex = 0;
  for (let i = 1; i <= n; i++) if (values[i]! < values[bestIndex]!) bestIndex = i;
  return { x: Array.from(points[bestIndex]!), value: values[bestIndex]!, evaluations };
}
