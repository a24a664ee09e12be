/**
 * Plain Lloyd iterations: every iteration assigns every point (one Min_ArgMin reduction over all
 * centroids), then updates the weighted means. The cluster sums are summed once, then follow the
 * points that change cluster (incrementalSums.ts: the labels of two successive assignments are
 * compared; they alternate between two arrays).
 */
import { weightedTotal } from './floatScans.js';
import { IncrementalSums } from './incrementalSums.js';
import { assignment, iterate, type Problem, type RunResult, reseedEmpty } from './kmeansSteps.js';

export function lloyd(pr: Problem, init: Float64Array, maxIter: number, tolAbs: number): RunResult {
  const { p, w } = pr;
  const assign = assignment(pr);
  const { d2 } = assign;
  const sums = new IncrementalSums(pr);
  /** Labels of the last assignment (as the sums hold them), and the array of the one before. */
  let labels = assign.labels;
  let spare: Int32Array | undefined;
  const step = (c: Float64Array) => {
    if (!spare) {
      assign(c, labels);
      sums.rebuild(labels);
      spare = new Int32Array(p.n);
    } else {
      const prev = labels;
      labels = spare;
      spare = prev;
      assign(c, labels);
      sums.follow(prev, labels);
      if (sums.drifted()) sums.rebuild(labels);
    }
    // A re-seeded point's label follows it: the sums hold it in its new cluster, and the next
    // assignment is compared with these labels.
    for (const mv of reseedEmpty(pr, labels, d2, sums.acc)) {
      sums.countMove(mv.from, mv.to);
      labels[mv.point] = mv.to;
    }
    return sums.acc;
  };
  const { c, iterations, converged } = iterate(pr, init, maxIter, tolAbs, { sums: step });
  // Labels and inertia of the returned centroids (as the data dtype rounds them), into the array
  // the sums no longer need.
  const out = spare ?? labels;
  assign(c, out);
  return { labels: out, c, inertia: weightedTotal(d2, w), iterations, converged };
}
