import { reduce, Vi, Vj } from '../lazy/index.js';
import type { Ranges } from '../lazy/ranges.js';
import { mulberry32 } from '../random.js';

/**
 * Top-down k-means splitting of a point cloud (the clustering of the multiscale solver where grids
 * are useless: D > 3, or a grid that leaves too many clusters). At every depth each node with more
 * than `leafSize` points is split into at most `branch` children by a few Lloyd iterations seeded
 * with distinct points of the node (mulberry32, so the tree is deterministic); the points are then
 * sorted by child inside their node, so that every node of every depth is a contiguous range of
 * the sorted points and its children a contiguous range of the next depth. The assignment step of
 * all the nodes of a depth is one Min_ArgMin reduction on block-diagonal ranges (each point against
 * its own node's centroids only): O(N · branch · D) per iteration, O(N log N) in all.
 */

/** Children per split. */
export const KMEANS_BRANCH = 8;
/** Lloyd iterations per depth at most (they stop early when no label changes). */
export const KMEANS_ITERATIONS = 8;
/** Depths at most (a guard: balanced splits need log_branch(n / leafSize)). */
export const KMEANS_MAX_DEPTH = 64;

export interface KMeansTree {
  /** perm[dst] = src: the sorted order of the points. */
  perm: Int32Array;
  /** Node boundaries per depth (depth 0: [0, n]): node k covers sorted points [b[k], b[k+1]). */
  bounds: Int32Array[];
}

/** Block-diagonal ranges: row block k against column block k only. */
function blockDiagonal(rows: Int32Array, cols: Int32Array): Ranges {
  const K = rows.length - 1;
  const pairs = (b: Int32Array) => {
    const r = new Int32Array(2 * K);
    for (let k = 0; k < K; k++) {
      r[2 * k] = b[k]!;
      r[2 * k + 1] = b[k + 1]!;
    }
    return r;
  };
  const ri = pairs(rows);
  const rj = pairs(cols);
  const slices = Int32Array.from({ length: K }, (_, k) => k + 1);
  return { ranges_i: ri, slices_i: slices, redranges_j: rj, ranges_j: rj, slices_j: slices, redranges_i: ri };
}

/**
 * The k-means tree of the rows of `data` ([n, d], any float array), split until every node has at
 * most `leafSize` points. `compute`: the engine backend of the reductions.
 */
export function kmeansTree(
  data: ArrayLike<number>,
  n: number,
  d: number,
  leafSize: number,
  seed: number,
  compute?: string,
): KMeansTree {
  const rng = mulberry32(seed);
  let perm = Int32Array.from({ length: n }, (_, i) => i);
  let x = Float64Array.from(data as ArrayLike<number>);
  let bounds = Int32Array.from([0, n]);
  const all = [bounds];
  const engine = compute === undefined ? {} : { backend: compute };
  for (let depth = 0; depth < KMEANS_MAX_DEPTH; depth++) {
    const K = bounds.length - 1;
    // Children per node (1: a leaf, kept as one cluster) and the centroid blocks.
    const kids = new Int32Array(K);
    const cStart = new Int32Array(K + 1);
    let split = false;
    for (let k = 0; k < K; k++) {
      const size = bounds[k + 1]! - bounds[k]!;
      kids[k] = size > leafSize ? Math.min(KMEANS_BRANCH, Math.ceil(size / leafSize)) : 1;
      if (kids[k]! > 1) split = true;
      cStart[k + 1] = cStart[k]! + kids[k]!;
    }
    if (!split) break;
    const C = cStart[K]!;
    // Seeds: distinct points of each node.
    const c = new Float64Array(C * d);
    for (let k = 0; k < K; k++) {
      const s = bounds[k]!;
      const size = bounds[k + 1]! - s;
      const picked = new Set<number>();
      for (let t = 0; t < kids[k]!; t++) {
        let i: number;
        do i = Math.floor(rng() * size);
        while (picked.has(i));
        picked.add(i);
        c.set(x.subarray((s + i) * d, (s + i + 1) * d), (cStart[k]! + t) * d);
      }
    }
    const labels = new Int32Array(n).fill(-1);
    const into = { values: new Float64Array(n), indices: new Int32Array(n) };
    const F = Vi({ data: x, shape: [n, d] }).sqdist(Vj({ data: c, shape: [C, d] }));
    const opts = { ...engine, ranges: blockDiagonal(bounds, cStart) };
    const sums = new Float64Array(C * d);
    const mass = new Float64Array(C);
    for (let it = 0; it < KMEANS_ITERATIONS; it++) {
      reduce({ formula: F.formula, kind: 'Min_ArgMin', axis: 'j', data: F.vars, opts, into });
      let changed = 0;
      for (let i = 0; i < n; i++)
        if (into.indices[i] !== labels[i]) {
          labels[i] = into.indices[i]!;
          changed++;
        }
      if (changed === 0) break;
      sums.fill(0);
      mass.fill(0);
      for (let i = 0; i < n; i++) {
        const l = labels[i]!;
        mass[l]!++;
        for (let q = 0; q < d; q++) sums[l * d + q]! += x[i * d + q];
      }
      // An empty cluster keeps its centroid (and is dropped below).
      for (let l = 0; l < C; l++)
        if (mass[l]! > 0) for (let q = 0; q < d; q++) c[l * d + q] = sums[l * d + q]! / mass[l]!;
    }
    // Sort the points by child inside their node (a counting sort: labels are increasing by node).
    const count = new Int32Array(C + 1);
    for (let i = 0; i < n; i++) count[labels[i]! + 1]!++;
    for (let l = 0; l < C; l++) count[l + 1]! += count[l];
    const next = Int32Array.from(count);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[next[labels[i]!]!++] = i;
    const nx = new Float64Array(n * d);
    const np = new Int32Array(n);
    order.forEach((src, dst) => {
      nx.set(x.subarray(src * d, (src + 1) * d), dst * d);
      np[dst] = perm[src]!;
    });
    x = nx;
    perm = np;
    const nb: number[] = [0];
    for (let l = 0; l < C; l++) if (count[l + 1]! > count[l]!) nb.push(count[l + 1]!);
    // No node split (only duplicates are left to split): stop.
    if (nb.length === bounds.length) break;
    bounds = Int32Array.from(nb);
    all.push(bounds);
  }
  return { perm, bounds: all };
}
