/**
 * Plain Lloyd iterations: every iteration assigns every point and sums every cluster's points in
 * ONE engine call (a Min_ArgMin reduction over all centroids with the `groupSums` option: on the
 * native backend both happen in the kernel, the sums as a parallel post-pass over the labels it
 * just wrote), then updates the weighted means. The sums come in the engine's one order
 * (reduction/groupSums.ts), so that every backend and thread count gives the same centroids.
 */
import { weightedTotal } from './floatScans.js';
import { assignment, iterate, type Problem, type RunResult, reseedEmpty } from './kmeansSteps.js';

export function lloyd(pr: Problem, init: Float64Array, maxIter: number, tolAbs: number): RunResult {
  const { w } = pr;
  const assign = assignment(pr, true);
  const { d2, labels } = assign;
  const sums = assign.sums!;
  const step = (c: Float64Array) => {
    assign(c);
    // A re-seeded point's label follows it (the sums hold it in its new cluster).
    for (const mv of reseedEmpty(pr, labels, d2, sums)) labels[mv.point] = mv.to;
    return sums;
  };
  const { c, iterations, converged } = iterate(pr, init, maxIter, tolAbs, { sums: step });
  // Labels and inertia of the returned centroids (as the data dtype rounds them).
  assign(c);
  return { labels, c, inertia: weightedTotal(d2, w), iterations, converged };
}
