/**
 * Plain Lloyd iterations: every iteration assigns every point (one Min_ArgMin reduction over all
 * centroids), then recomputes the weighted means in one O(N·D) pass.
 */
import { clusterSums, sumsScratch } from './clusterSums.js';
import { weightedTotal } from './floatScans.js';
import { assignment, iterate, type Problem, type RunResult, reseedEmpty } from './kmeansSteps.js';

export function lloyd(pr: Problem, init: Float64Array, maxIter: number, tolAbs: number): RunResult {
  const { K, p, w } = pr;
  const assign = assignment(pr);
  const { d2, labels } = assign;
  const acc = new Float64Array(K * (p.d + 1));
  const scratch = sumsScratch(K, p.d);
  const sums = (c: Float64Array) => {
    assign(c);
    clusterSums(p.data, p.d, w, labels, acc, scratch);
    reseedEmpty(pr, labels, d2, acc);
    return acc;
  };
  const { c, iterations, converged } = iterate(pr, init, maxIter, tolAbs, { sums });
  // Labels and inertia of the returned centroids (as the data dtype rounds them).
  assign(c);
  return { labels, c, inertia: weightedTotal(d2, w), iterations, converged };
}
