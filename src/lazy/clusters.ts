import { check } from '../errors.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { toFloatArray } from './data.js';
import { keptFromMask, keptRanges } from './keptRanges.js';
import type { Ranges } from './ranges.js';

/**
 * Helpers that build block-sparse Ranges from point clouds: cluster points on a grid, sort them
 * by cluster, get each cluster's index range and centroid, then keep only the cluster pairs of a
 * boolean mask (typically: centroids closer than a few kernel widths).
 */

function rows(x: NDArray | number[][], what: string): { data: FloatArray; n: number; d: number } {
  const a = toFloatArray(x, what, 2);
  check(a.shape.length === 2, () => `${what}: expected [N, D], got [${a.shape.join(', ')}]`);
  return { data: a.data, n: a.shape[0]!, d: a.shape[1]! };
}

/**
 * Labels of a regular grid of cell width `size` in any dimension: points in the same cell share a
 * label; labels are 0..C-1 in lexicographic order of the cells.
 */
export function gridCluster(x: NDArray | number[][], size: number): Int32Array {
  check(
    Number.isFinite(size) && size > 0,
    () => `gridCluster: size must be a finite number > 0, got ${size}`,
  );
  const { data, n, d } = rows(x, 'gridCluster(x)');
  const keys: number[][] = [];
  for (let i = 0; i < n; i++) {
    const k: number[] = [];
    for (let c = 0; c < d; c++) {
      const v = data[i * d + c]!;
      check(Number.isFinite(v), () => `gridCluster: point ${i} has a non-finite coordinate (${v})`);
      k.push(Math.floor(v / size));
    }
    keys.push(k);
  }
  const order = keys
    .map((_, i) => i)
    .sort((a, b) => {
      const ka = keys[a]!;
      const kb = keys[b]!;
      for (let c = 0; c < d; c++) if (ka[c] !== kb[c]) return ka[c]! - kb[c]!;
      return 0;
    });
  const labels = new Int32Array(n);
  let label = -1;
  let prev: number[] | undefined;
  for (const i of order) {
    const k = keys[i]!;
    if (!prev || k.some((v, c) => v !== prev![c])) label++;
    labels[i] = label;
    prev = k;
  }
  return labels;
}

/** Sorts points (and optional per-point values) by label; returns the permutation used. */
export function sortClusters(
  x: NDArray | number[][],
  labels: Int32Array,
): { x: NDArray<FloatArray>; labels: Int32Array; perm: Int32Array } {
  const { data, n, d } = rows(x, 'sortClusters(x)');
  check(labels.length === n, () => `sortClusters: expected ${n} labels, got ${labels.length}`);
  const perm = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => labels[a]! - labels[b]! || a - b);
  const out = new (data.constructor as { new (len: number): FloatArray })(n * d);
  const sl = new Int32Array(n);
  perm.forEach((src, dst) => {
    out.set(data.subarray(src * d, (src + 1) * d), dst * d);
    sl[dst] = labels[src]!;
  });
  return { x: { data: out, shape: [n, d] }, labels: sl, perm };
}

/** How many more clusters than points clusterRangesCentroids accepts (labels may skip values). */
const MAX_EMPTY_CLUSTERS = 1 << 20;

/**
 * For points sorted by label: each cluster's index range [start, end) (flattened [C, 2]), its
 * centroid (weighted by `weights` if given) and its total weight.
 */
export function clusterRangesCentroids(
  x: NDArray | number[][],
  labels: Int32Array,
  weights?: FloatArray,
): { ranges: Int32Array; centroids: NDArray<Float64Array>; weights: Float64Array } {
  const { data, n, d } = rows(x, 'clusterRangesCentroids(x)');
  check(labels.length === n, () => `clusterRangesCentroids: expected ${n} labels, got ${labels.length}`);
  if (weights)
    check(weights.length === n, () => `clusterRangesCentroids: expected ${n} weights, got ${weights.length}`);
  // A loop, not Math.max(...labels): spreading a million labels overflows the call stack.
  let C = 0;
  for (let i = 0; i < n; i++) if (labels[i]! >= C) C = labels[i]! + 1;
  // Labels may skip values (empty clusters), but each label up to the largest costs memory: a
  // stray huge label would ask for gigabytes (and a RangeError from the typed arrays).
  check(
    C <= n + MAX_EMPTY_CLUSTERS,
    () =>
      `clusterRangesCentroids: the largest label is ${C - 1}, which makes ${C} clusters for ${n} points; expected labels 0..C-1 with at most ${MAX_EMPTY_CLUSTERS} more clusters than points`,
  );
  const ranges = new Int32Array(2 * C).fill(-1);
  const cent = new Float64Array(C * d);
  const w = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    check(
      l >= 0 && (i === 0 || l >= labels[i - 1]!),
      'clusterRangesCentroids: points must be sorted by label (use sortClusters)',
    );
    if (ranges[2 * l] === -1) ranges[2 * l] = i;
    ranges[2 * l + 1] = i + 1;
    const wi = weights ? weights[i]! : 1;
    w[l]! += wi;
    for (let c = 0; c < d; c++) cent[l * d + c]! += wi * data[i * d + c]!;
  }
  for (let l = 0; l < C; l++) {
    if (ranges[2 * l] === -1) {
      ranges[2 * l] = l === 0 ? 0 : ranges[2 * l - 1]!;
      ranges[2 * l + 1] = ranges[2 * l]!;
    }
    if (w[l]! > 0) for (let c = 0; c < d; c++) cent[l * d + c]! /= w[l];
  }
  return { ranges, centroids: { data: cent, shape: [C, d] }, weights: w };
}

/**
 * Ranges that visit only the cluster pairs (a, b) with keep[a * Cj + b] true. rangesI/rangesJ are
 * the clusters' index ranges of the i and j points ([C, 2] flattened, as from
 * clusterRangesCentroids). Kept clusters whose index ranges touch are merged into one interval;
 * empty clusters add none.
 */
export function rangesFromMask(
  rangesI: Int32Array,
  rangesJ: Int32Array,
  keep: ArrayLike<boolean | number>,
): Ranges {
  const Ci = rangesI.length / 2;
  const Cj = rangesJ.length / 2;
  check(
    keep.length === Ci * Cj,
    () => `rangesFromMask: expected a ${Ci}×${Cj} mask (${Ci * Cj} entries), got ${keep.length}`,
  );
  return keptRanges(rangesI, rangesJ, keptFromMask(keep, Ci, Cj));
}
