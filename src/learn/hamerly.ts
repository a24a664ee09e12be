/**
 * Lloyd iterations accelerated by Hamerly's bounds (exact: the same assignments as plain Lloyd).
 * Each point keeps an upper bound u on its distance to its centroid and a lower bound l on its
 * distance to every other centroid. When the centroids move by δ_k, u grows by δ of its own
 * centroid and l shrinks by the largest δ of the others; a point needs no new assignment while
 * u < max(l, s) with s half the distance from its centroid to the nearest other one (then no
 * other centroid can be closer). Only the points that fail this test (after tightening u to the
 * exact distance) are assigned again, by one reduction on their gathered rows; the cluster sums
 * follow the points that change cluster. Per iteration: one O(N) pass over the bounds, a K×K
 * reduction for s, and a reduction over the failing rows only. That bookkeeping runs in
 * JavaScript at a few ns per point and a few tens of ns per failing point, about the cost of a
 * point's full assignment by the native engine at K ≈ 50, D = 3, hence not the default. Measured
 * at N = 1e5, K = 50 (CPU time, when both runs followed the moved points in their sums): with the
 * native backend, 2× plain Lloyd's over 10 iterations and 1.5× over 60; with the JS backend,
 * whose full assignment is slower, 0.5× and 0.2×.
 *
 * Bounds come from reductions in the data dtype, so every test keeps a relative slack (slackOf):
 * a point is kept only when its margin exceeds the rounding of the distances it compares, and
 * plain Lloyd's reduction would then pick the same centroid.
 *
 * Here the loop; hamerlyRun.ts holds a run's state and its update step, hamerlyBounds.ts the
 * bounds pass, incrementalSums.ts the cluster sums kept up to date, hamerlyReductions.ts the
 * reductions on the failing rows.
 */
import { HamerlyRun } from './hamerlyRun.js';
import { iterate, type Problem, type RunResult } from './kmeansSteps.js';

export function hamerly(pr: Problem, init: Float64Array, maxIter: number, tolAbs: number): RunResult {
  const run = new HamerlyRun(pr);
  run.assignAll(init);
  const { c, iterations, converged } = iterate(pr, init, maxIter, tolAbs, {
    sums: (centroids) => run.prepareSums(centroids),
    moved: (centroids) => run.update(centroids),
  });
  // Labels are exact for the returned centroids (as the data dtype rounds them).
  return { labels: run.labels, c, inertia: run.inertia(), iterations, converged };
}
