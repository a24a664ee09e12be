import { check } from '../errors.js';
import { clusterRangesCentroids, gridCluster, sortClusters } from '../lazy/clusters.js';
import type { Cloud } from './input.js';
import { kmeansTree } from './kmeansTree.js';
import { toDtype } from './pairs.js';

/**
 * Coarse-to-fine clustering of the two clouds of a multiscale Sinkhorn solve: nested grids of
 * cells of width s·2^j in any dimension (one Morton-ordered sort of the points, so that every
 * cell of every level is a contiguous range of the sorted points and its sub-cells a contiguous
 * range of the finer level), nested k-means clusters (top-down splitting, for D > 3 where grids
 * are useless), or the user's labels (one cluster level).
 */

/** How a multiscale solve clustered the clouds (reported in `convergence.clustering`). */
export type Clustering = 'grid' | 'kmeans' | 'labels';

/** One level of a clustered cloud: its points (or centroids), their log-weights... */
export interface Level {
  cloud: Cloud;
  weights: Float64Array;
  /** [C, 2] flattened: each cluster's index range in the next finer level (absent on the points). */
  children?: Int32Array;
  /**
   * Each cluster's radius (largest distance of its points to its centroid), where clusters can be
   * wide (k-means): the truncation then tests the smallest cost between the two clusters' points.
   */
  radius?: Float64Array;
}

/** A cloud sorted by cluster (perm[dst] = src) and its levels, finest (the points) first. */
export interface Hierarchy {
  perm: Int32Array;
  levels: Level[];
}

/** Mean points per finest cluster of the default hierarchy (the fine level visits ~this many pairs per point and kept cluster). */
export const TARGET_CLUSTER_SIZE = 32;
/** ...or fewer points per cluster once the cells are as wide as the blur (a sparse finest kernel). */
export const MIN_CLUSTER_SIZE = 2;
/** The coarsest level has at most this many clusters (its kernel is dense). */
export const TOP_CLUSTERS = 256;

function sorted(c: Cloud, w: Float64Array, perm: Int32Array): { cloud: Cloud; weights: Float64Array } {
  const d = c.d;
  const data = new (c.data.constructor as { new (n: number): Cloud['data'] })(c.n * d);
  const weights = new Float64Array(c.n);
  perm.forEach((src, dst) => {
    data.set(c.data.subarray(src * d, (src + 1) * d), dst * d);
    weights[dst] = w[src]!;
  });
  return { cloud: { ...c, data }, weights };
}

/** The level of the sorted points `x` whose clusters have labels `labels` (sorted, 0..C-1). */
function clusterLevel(x: Cloud, w: Float64Array, labels: Int32Array, finer: Int32Array | undefined): Level {
  const nd = { data: x.data, shape: [x.n, x.d] };
  const { ranges, centroids, weights } = clusterRangesCentroids(nd, labels, w);
  const C = weights.length;
  // Children: the finer clusters (or points) in each cluster's point range.
  const children = new Int32Array(2 * C);
  for (let k = 0; k < C; k++) {
    const s = ranges[2 * k]!;
    const e = ranges[2 * k + 1]!;
    children[2 * k] = finer ? (e > s ? finer[s]! : 0) : s;
    children[2 * k + 1] = finer ? (e > s ? finer[e - 1]! + 1 : 0) : e;
  }
  return {
    cloud: { ...x, data: toDtype(centroids.data, x.dtype), n: C, shape: [C, x.d] },
    weights,
    children,
  };
}

/**
 * The user's labels renumbered 0..K−1 in increasing order (K distinct labels): the cluster level
 * then holds K clusters, not max(label) + 1 (labels up to 2^31 − 1 would allocate gigabytes of
 * empty clusters).
 */
function denseLabels(labels: Int32Array): Int32Array {
  const values = Int32Array.from(new Set(labels)).sort();
  const index = new Map<number, number>();
  values.forEach((v, k) => index.set(v, k));
  return labels.map((l) => index.get(l)!);
}

/** Two levels from the user's labels (or a grid of width `scale` for a cloud without labels). */
export function labelHierarchy(
  c: Cloud,
  w: Float64Array,
  labels: Int32Array | undefined,
  scale: number,
  name: string,
): Hierarchy {
  if (labels) {
    check(
      labels.length === c.n,
      () => `${name} must have ${c.n} labels (one per point), got ${labels.length}`,
    );
    for (const l of labels)
      check(Number.isInteger(l) && l >= 0, () => `${name} must be integers ≥ 0, got ${l}`);
  }
  const nd = { data: c.data, shape: [c.n, c.d] };
  const lab = labels ? denseLabels(labels) : gridCluster(nd, scale);
  const s = sortClusters(nd, lab);
  const pts = sorted(c, w, s.perm);
  const level = clusterLevel(pts.cloud, pts.weights, s.labels, undefined);
  // A user's clusters may be wider than the blur: the truncation then tests the smallest cost
  // between two clusters' points (centroid costs minus radii), as for k-means levels. Grid cells
  // have the width the schedule chose and keep the centroid test.
  if (labels) level.radius = clusterRadii(pts.cloud, level);
  return { perm: s.perm, levels: [pts, level] };
}

/** Integer cell coordinates of width `size` (from a common origin) and the Morton order of the cells. */
function mortonOrder(c: Cloud, origin: Float64Array, size: number): { keys: Int32Array; perm: Int32Array } {
  const d = c.d;
  const keys = new Int32Array(c.n * d);
  for (let i = 0; i < c.n; i++)
    for (let k = 0; k < d; k++) {
      const v = Math.floor((c.data[i * d + k]! - origin[k]!) / size);
      keys[i * d + k] = Math.min(Math.max(v, 0), 0x3fffffff);
    }
  // Morton comparison: the axis whose keys differ in the highest bit decides.
  const lessMsb = (a: number, b: number) => a < b && a < (a ^ b);
  const perm = Int32Array.from({ length: c.n }, (_, i) => i).sort((a, b) => {
    let axis = 0;
    let best = 0;
    for (let k = 0; k < d; k++) {
      const x = keys[a * d + k]! ^ keys[b * d + k]!;
      if (lessMsb(best, x)) {
        best = x;
        axis = k;
      }
    }
    return keys[a * d + axis]! - keys[b * d + axis]! || a - b;
  });
  return { keys, perm };
}

/** Cluster labels of the sorted points at level `shift` (cells of width size·2^shift). */
function levelLabels(keys: Int32Array, perm: Int32Array, d: number, shift: number): Int32Array {
  const n = perm.length;
  const labels = new Int32Array(n);
  let label = 0;
  for (let t = 1; t < n; t++) {
    const a = perm[t - 1]!;
    const b = perm[t]!;
    for (let k = 0; k < d; k++)
      if (keys[a * d + k]! >> shift !== keys[b * d + k]! >> shift) {
        label++;
        break;
      }
    labels[t] = label;
  }
  return labels;
}

const count = (labels: Int32Array) => (labels.length === 0 ? 0 : labels[labels.length - 1]! + 1);

/**
 * Nested grid hierarchies of x and y with the same cell widths: scale·2^j for the cluster levels.
 * With `scale` given, the finest cluster level has that width; otherwise it is the first level
 * with TARGET_CLUSTER_SIZE points per cluster on average, or MIN_CLUSTER_SIZE once its cells are
 * as wide as the blur (so that the points' kernel is truncated at an ε close to blur^p). Levels are added until each cloud has at most
 * TOP_CLUSTERS clusters. Returns the hierarchies and each cluster level's cell width.
 */
export function gridHierarchies(
  x: Cloud,
  a: Float64Array,
  y: Cloud,
  b: Float64Array,
  diameter: number,
  blur: number,
  scale: number | undefined,
): { hx: Hierarchy; hy: Hierarchy; widths: number[] } {
  const d = x.d;
  const origin = new Float64Array(d).fill(Infinity);
  for (const c of [x, y])
    for (let i = 0; i < c.n; i++)
      for (let k = 0; k < d; k++) origin[k] = Math.min(origin[k]!, c.data[i * d + k]!);
  const base = scale ?? Math.max(diameter, 1e-300) / 2 ** 20;
  const mx = mortonOrder(x, origin, base);
  const my = mortonOrder(y, origin, base);
  const labelsAt = (shift: number) => [
    levelLabels(mx.keys, mx.perm, d, shift),
    levelLabels(my.keys, my.perm, d, shift),
  ];
  let first = 0;
  if (scale === undefined)
    for (; first < 30; first++) {
      const [lx, ly] = labelsAt(first);
      const mean = (x.n + y.n) / (count(lx!) + count(ly!));
      if (mean >= TARGET_CLUSTER_SIZE || (mean >= MIN_CLUSTER_SIZE && base * 2 ** first >= blur)) break;
    }
  const px = sorted(x, a, mx.perm);
  const py = sorted(y, b, my.perm);
  const hx: Hierarchy = { perm: mx.perm, levels: [px] };
  const hy: Hierarchy = { perm: my.perm, levels: [py] };
  const widths: number[] = [];
  let fx: Int32Array | undefined;
  let fy: Int32Array | undefined;
  for (let shift = first; shift <= 31; shift++) {
    const [lx, ly] = labelsAt(shift);
    hx.levels.push(clusterLevel(px.cloud, px.weights, lx!, fx));
    hy.levels.push(clusterLevel(py.cloud, py.weights, ly!, fy));
    widths.push(base * 2 ** shift);
    fx = lx;
    fy = ly;
    if (Math.max(count(lx!), count(ly!)) <= TOP_CLUSTERS) break;
  }
  return { hx, hy, widths };
}

/** Children ranges `ch` (into a middle level) composed with the middle level's own children `mid`. */
function compose(ch: Int32Array, mid: Int32Array): Int32Array {
  const out = new Int32Array(ch.length);
  for (let k = 0; k < ch.length / 2; k++) {
    const s = ch[2 * k]!;
    const e = ch[2 * k + 1]!;
    out[2 * k] = e > s ? mid[2 * s]! : 0;
    out[2 * k + 1] = e > s ? mid[2 * (e - 1) + 1]! : 0;
  }
  return out;
}

/** Removes cluster level j (≥ 1) from a hierarchy: the next coarser level's children are composed. */
export function dropLevel(h: Hierarchy, j: number): void {
  const up = h.levels[j + 1];
  const mid = h.levels[j]!.children!;
  if (up) up.children = compose(up.children!, mid);
  h.levels.splice(j, 1);
}

/** Largest dimension clustered by grids by default: above it, k-means. */
export const GRID_MAX_DIM = 3;
/** Quantile of the cluster radii that sets a k-means level's width (its ε handover). */
export const RADIUS_QUANTILE = 0.9;

/**
 * The default clustering: grids up to GRID_MAX_DIM dimensions, unless the grid's finest level
 * averages fewer than MIN_CLUSTER_SIZE points per cluster (a grid that leaves too many clusters);
 * k-means above.
 */
export function chooseClustering(d: number, finestMean: () => number): 'grid' | 'kmeans' {
  if (d > GRID_MAX_DIM) return 'kmeans';
  return finestMean() < MIN_CLUSTER_SIZE ? 'kmeans' : 'grid';
}

/** Mean points per cluster of the finest cluster level of two hierarchies. */
export function finestMean(hx: Hierarchy, hy: Hierarchy): number {
  const n = hx.levels[0]!.cloud.n + hy.levels[0]!.cloud.n;
  return n / (hx.levels[1]!.cloud.n + hy.levels[1]!.cloud.n);
}

/** Labels 0..K-1 of the sorted points from node boundaries. */
function boundsLabels(b: Int32Array, n: number): Int32Array {
  const labels = new Int32Array(n);
  for (let k = 0; k + 1 < b.length; k++) labels.fill(k, b[k]!, b[k + 1]!);
  return labels;
}

/** Each cluster's radius (largest distance of a point to its centroid); `level` has point ranges as children. */
function clusterRadii(pts: Cloud, level: Level): Float64Array {
  const d = pts.d;
  const ch = level.children!;
  const radii = new Float64Array(level.cloud.n);
  for (let k = 0; k < level.cloud.n; k++) {
    let r2 = 0;
    for (let i = ch[2 * k]!; i < ch[2 * k + 1]!; i++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += (pts.data[i * d + q]! - level.cloud.data[k * d + q]!) ** 2;
      r2 = Math.max(r2, s);
    }
    radii[k] = Math.sqrt(r2);
  }
  return radii;
}

/** The RADIUS_QUANTILE quantile of the radii of the clusters with mass. */
function radiusQuantile(level: Level): number {
  const r = Array.from(level.radius!).filter((_, k) => level.weights[k]! > 0);
  r.sort((u, v) => u - v);
  return r.length === 0 ? 0 : r[Math.min(r.length - 1, Math.floor(RADIUS_QUANTILE * r.length))]!;
}

/**
 * Nested k-means hierarchies of x and y (kmeansTree: leaves of at most TARGET_CLUSTER_SIZE points,
 * each depth a cluster level; the shallower tree repeats its finest depth), from the deepest depth
 * up to the first with at most TOP_CLUSTERS clusters in both clouds. A level's width is the
 * RADIUS_QUANTILE quantile of its cluster radii over both clouds (non-decreasing from fine to
 * coarse), so that it hands over at ε ≈ (cluster radius)^p, as a grid level at its cell width.
 */
export function kmeansHierarchies(
  x: Cloud,
  a: Float64Array,
  y: Cloud,
  b: Float64Array,
  compute: string | undefined,
): { hx: Hierarchy; hy: Hierarchy; widths: number[] } {
  const tx = kmeansTree(x.data, x.n, x.d, TARGET_CLUSTER_SIZE, 1, compute);
  const ty = kmeansTree(y.data, y.n, y.d, TARGET_CLUSTER_SIZE, 2, compute);
  const depth = Math.max(tx.bounds.length, ty.bounds.length) - 1;
  const at = (t: { bounds: Int32Array[] }, j: number) => t.bounds[Math.min(j, t.bounds.length - 1)]!;
  let top = depth;
  while (top > 1 && Math.max(at(tx, top).length, at(ty, top).length) - 1 > TOP_CLUSTERS) top--;
  const build = (c: Cloud, w: Float64Array, t: { perm: Int32Array; bounds: Int32Array[] }) => {
    const pts = sorted(c, w, t.perm);
    const h: Hierarchy = { perm: t.perm, levels: [pts] };
    let finer: Int32Array | undefined;
    for (let j = depth === 0 ? 0 : depth; j >= (depth === 0 ? 0 : top); j--) {
      const labels = boundsLabels(at(t, j), c.n);
      h.levels.push(clusterLevel(pts.cloud, pts.weights, labels, finer));
      finer = labels;
    }
    return h;
  };
  const hx = build(x, a, tx);
  const hy = build(y, b, ty);
  const widths: number[] = [];
  for (let j = 1; j < hx.levels.length; j++) {
    // The radii of level j over the points: compose the children down to the points.
    for (const h of [hx, hy]) h.levels[j]!.radius = clusterRadii(h.levels[0]!.cloud, flatten(h, j));
    const r = Math.max(radiusQuantile(hx.levels[j]!), radiusQuantile(hy.levels[j]!));
    widths.push(Math.max(r, widths.at(-1) ?? 0));
  }
  return { hx, hy, widths };
}

/** Level j with its children composed down to point ranges. */
function flatten(h: Hierarchy, j: number): Level {
  let ch = h.levels[j]!.children!;
  for (let i = j - 1; i >= 1; i--) ch = compose(ch, h.levels[i]!.children!);
  return { ...h.levels[j]!, children: ch };
}
