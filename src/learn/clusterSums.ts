/**
 * The update step's pass over the points: every cluster's weighted coordinate sums and mass, in
 * the engine's one summation order for group sums (reduction/groupSums.ts: blocks of rows, four
 * interleaved tables per block, blocks added in order), so that the sums a k-means step computes
 * here (Hamerly's rebuilds) are those a fused assignment (the `groupSums` option of Min_ArgMin)
 * returns, bit for bit, on every backend.
 */
import type { FloatArray } from '../ndarray.js';
import { GROUP_PARTS, groupSumsHost } from '../reduction/groupSums.js';

/** Scratch for `clusterSums` with K clusters of dimension d (the engine's partial tables). */
export function sumsScratch(K: number, d: number): Float64Array {
  return new Float64Array(GROUP_PARTS * K * (d + 1));
}

/**
 * Sets `acc` [K·(D+1)] to every cluster's weighted sums: row k holds cluster k's D sums, then its
 * mass. `t` is scratch from `sumsScratch(K, d)`; `w` undefined means all weights 1 (the same
 * result as weights of 1: a product by 1 is exact).
 */
export function clusterSums(
  data: FloatArray,
  d: number,
  w: Float64Array | undefined,
  labels: Int32Array,
  acc: Float64Array,
  t: Float64Array,
): void {
  groupSumsHost({ values: data, dim: d, weights: w, indices: labels }, acc.length / (d + 1), acc, t);
}
