/**
 * K-means (Lloyd) on the engine's reductions. Each iteration is one Min_ArgMin reduction (every
 * point's nearest centroid and squared distance) plus an O(N·D) pass for the weighted means. The
 * reduction is bound once per run (the data and one centroid array, rewritten in place) and writes
 * into the run's own label and distance arrays, so an iteration allocates nothing of size N.
 * k-means++ seeding is greedy D² sampling (as scikit-learn): the candidates' potentials are one
 * Sum reduction over the points.
 */
import { check } from '../errors.js';
import { type LazyTensor, type ReduceOptions, reduce, Vi, Vj } from '../lazy/index.js';
import { allocFloat, type FloatArray, isNDArray, type NDArray } from '../ndarray.js';
import { mulberry32 } from '../random.js';
import {
  checkCount,
  checkNonNegative,
  engine,
  matrix,
  options,
  type Points,
  points,
  sampleWeights,
} from './input.js';

export interface KMeansOptions {
  /** 'kmeans++' (default), 'random' (K distinct points) or the initial centroids [K, D]. */
  init?: 'kmeans++' | 'random' | NDArray | number[][];
  /** Lloyd iterations at most (default 300). */
  maxIter?: number;
  /** Relative tolerance on the centroid shift (default 1e-4), see `kmeans`. */
  tol?: number;
  /** Restarts with different seeds; the lowest inertia wins (default 1). */
  nInit?: number;
  /** Seed of the initialisation (default 0). */
  seed?: number;
  /** Sample weights, one per point (default: all 1). */
  weights?: Float64Array;
  /** Engine backend ('auto', 'js', 'native', ...). */
  backend?: string;
}

export interface KMeansResult {
  /** Index of each point's nearest centroid, [N]. */
  labels: NDArray<Int32Array>;
  /** Centroids [K, D], in the dtype of the data. */
  centroids: NDArray<FloatArray>;
  /** Σ_i w_i min_k ‖x_i − c_k‖². */
  inertia: number;
  /** Lloyd iterations run. */
  iterations: number;
  /** True when the centroid shift fell to the tolerance before maxIter. */
  converged: boolean;
}

/** The data of one k-means problem, shared by the restarts. */
interface Problem {
  p: Points;
  K: number;
  /** Sample weights; undefined when all are 1 (no N-sized array of ones). */
  w: Float64Array | undefined;
  X: LazyTensor;
  eng: ReduceOptions;
}

/**
 * Weighted K-means clustering of the rows of x. Converged when Σ_k ‖Δc_k‖² ≤ tol · (mean
 * per-feature variance of x), as scikit-learn. Empty clusters are re-seeded from the points
 * farthest from their centroid (deterministically: largest distance, then lowest index).
 */
export function kmeans(x: NDArray | number[][], K: number, opts?: KMeansOptions): KMeansResult {
  const o = options(opts, 'kmeans');
  const p = points(x, 'kmeans(x)');
  checkCount(K, 'kmeans: K', 1, p.n, ` (at most the number of points, ${p.n})`);
  const maxIter = checkCount(o.maxIter ?? 300, 'kmeans: maxIter', 1, Number.MAX_SAFE_INTEGER);
  const tol = checkNonNegative(o.tol ?? 1e-4, 'kmeans: tol');
  const nInit = checkCount(o.nInit ?? 1, 'kmeans: nInit', 1, 1e6);
  const seed = checkCount(o.seed ?? 0, 'kmeans: seed', 0, 2 ** 32 - 1);
  const w = o.weights === undefined ? undefined : sampleWeights(o.weights, p.n, 'kmeans: weights');
  const pr: Problem = { p, K, w, X: Vi(p.array), eng: engine(o) };
  // tol = 0 stops only on an exact fixed point, whatever the variance: skip that O(N·D) pass.
  const tolAbs = tol === 0 ? 0 : tol * meanVariance(p);
  const init = o.init ?? 'kmeans++';
  const given = init !== 'kmeans++' && init !== 'random' ? givenCentroids(init, K, p.d) : undefined;
  check(
    given !== undefined || init === 'kmeans++' || init === 'random',
    () => `kmeans: init must be 'kmeans++', 'random' or centroids [K, D], got ${String(init)}`,
  );
  const seeds = mulberry32(seed);
  let best: KMeansResult | undefined;
  for (let run = 0; run < (given ? 1 : nInit); run++) {
    const rng = mulberry32(Math.floor(seeds() * 2 ** 32));
    const c0 = given ?? (init === 'random' ? randomInit(pr, rng) : kmeansPlusPlus(pr, rng));
    const res = lloyd(pr, c0, maxIter, tolAbs);
    if (!best || res.inertia < best.inertia) best = res;
  }
  return best!;
}

/**
 * The assignment step of one Lloyd run: the Min_ArgMin reduction of ‖x_i − c_j‖² over j, bound
 * once to the data and to a centroid array that each call overwrites, writing into the run's own
 * arrays (the labels returned by a run are these: each run has its own).
 */
interface Assignment {
  /** Nearest centroid of every point and its squared distance, for centroids c [K·D]. */
  (c: Float64Array): void;
  d2: FloatArray;
  labels: Int32Array;
}

function assignment(pr: Problem): Assignment {
  const { n, d, dtype } = pr.p;
  const cData = allocFloat(dtype, pr.K * d);
  const F = pr.X.sqdist(Vj({ data: cData, shape: [pr.K, d] }));
  const into = { values: allocFloat(dtype, n), indices: new Int32Array(n) };
  const run = (c: Float64Array) => {
    cData.set(c);
    reduce({ formula: F.formula, kind: 'Min_ArgMin', axis: 'j', data: F.vars, opts: pr.eng, into });
  };
  return Object.assign(run, { d2: into.values, labels: into.indices });
}

function lloyd(pr: Problem, init: Float64Array, maxIter: number, tolAbs: number): KMeansResult {
  const { K, p, w } = pr;
  const assign = assignment(pr);
  const { d2, labels } = assign;
  const acc = new Float64Array(K * (p.d + 1));
  let c = init;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    assign(c);
    const next = weightedMeans(pr, labels, d2, c, acc);
    let shift = 0;
    for (let k = 0; k < c.length; k++) shift += (next[k]! - c[k]!) ** 2;
    c = next;
    iterations++;
    if (shift <= tolAbs) {
      converged = true;
      break;
    }
  }
  // Labels and inertia of the returned centroids (as the data dtype rounds them).
  assign(c);
  let inertia = 0;
  if (w) for (let i = 0; i < p.n; i++) inertia += w[i]! * d2[i]!;
  else for (let i = 0; i < p.n; i++) inertia += d2[i]!;
  return {
    labels: { data: labels, shape: [p.n] },
    centroids: matrix(c, K, p.d, p.dtype),
    inertia,
    iterations,
    converged,
  };
}

/**
 * The weighted mean of each cluster (float64). A cluster left without weight takes the point
 * farthest from its centroid (largest d², then lowest index), which leaves its old cluster.
 * `acc` is the run's scratch [K·(D+1)], overwritten: row k holds cluster k's D weighted sums, then
 * its mass (one row per cluster keeps the pass over the points to one base index per point).
 */
function weightedMeans(
  pr: Problem,
  labels: Int32Array,
  d2: FloatArray,
  prev: Float64Array,
  acc: Float64Array,
): Float64Array {
  const { K, w } = pr;
  const { n, d } = pr.p;
  const r = d + 1;
  acc.fill(0);
  clusterSums(pr.p.data, labels, w, n, d, acc);
  const weightOf = (i: number) => (w ? w[i]! : 1);
  const { data } = pr.p;
  let taken: Uint8Array | undefined;
  for (let k = 0; k < K; k++) {
    if (acc[k * r + d]! > 0) continue;
    taken ??= new Uint8Array(n);
    let far = -1;
    for (let i = 0; i < n; i++) {
      if (weightOf(i) > 0 && !taken[i] && (far < 0 || d2[i]! > d2[far]!)) far = i;
    }
    if (far < 0) continue;
    taken[far] = 1;
    const old = labels[far]!;
    const wi = weightOf(far);
    acc[old * r + d]! -= wi;
    acc[k * r + d] = wi;
    for (let c = 0; c < d; c++) {
      const v = wi * data[far * d + c]!;
      acc[old * r + c]! -= v;
      acc[k * r + c] = v;
    }
  }
  const out = Float64Array.from(prev);
  for (let k = 0; k < K; k++) {
    const m = acc[k * r + d]!;
    if (m > 0) for (let c = 0; c < d; c++) out[k * d + c] = acc[k * r + c]! / m;
  }
  return out;
}

/**
 * Adds every point (times its weight, 1 when w is undefined) to its cluster's row of `acc`
 * [K·(D+1)]: the D sums, then the mass.
 */
function clusterSums(
  data: FloatArray,
  labels: Int32Array,
  w: Float64Array | undefined,
  n: number,
  d: number,
  acc: Float64Array,
): void {
  if (d === 3 && !w) {
    // The common case (3-D points, no weights): rows of 4, no inner loop.
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const b = labels[i]! << 2;
      acc[b]! += data[j];
      acc[b + 1]! += data[j + 1];
      acc[b + 2]! += data[j + 2];
      acc[b + 3]! += 1;
    }
    return;
  }
  const r = d + 1;
  for (let i = 0; i < n; i++) {
    const b = labels[i]! * r;
    const wi = w ? w[i]! : 1;
    acc[b + d]! += wi;
    for (let c = 0; c < d; c++) acc[b + c]! += wi * data[i * d + c]!;
  }
}

/** Mean over the features of the per-feature (population) variance, as scikit-learn's tolerance. */
function meanVariance(p: Points): number {
  const { n, d, data } = p;
  let total = 0;
  for (let c = 0; c < d; c++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += data[i * d + c]!;
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * d + c]! - m) ** 2;
    total += v / n;
  }
  return total / d;
}

function givenCentroids(init: unknown, K: number, d: number): Float64Array {
  check(
    isNDArray(init) || Array.isArray(init),
    () => `kmeans: init must be 'kmeans++', 'random' or centroids [K, D], got ${String(init)}`,
  );
  const c = points(init as NDArray, 'kmeans: init');
  check(
    c.n === K && c.d === d,
    () => `kmeans: init centroids must have shape [${K}, ${d}], got [${c.n}, ${c.d}]`,
  );
  return Float64Array.from(c.data);
}

/** Indices of the points with a positive weight (all n when unweighted). */
function positive(w: Float64Array | undefined, n: number): Int32Array {
  if (!w) return Int32Array.from({ length: n }, (_, i) => i);
  const idx: number[] = [];
  for (let i = 0; i < w.length; i++) if (w[i]! > 0) idx.push(i);
  return Int32Array.from(idx);
}

function rowsOf(p: Points, idx: ArrayLike<number>): Float64Array {
  const out = new Float64Array(idx.length * p.d);
  for (let r = 0; r < idx.length; r++)
    for (let c = 0; c < p.d; c++) out[r * p.d + c] = p.data[idx[r]! * p.d + c]!;
  return out;
}

/** K distinct points of positive weight, uniformly at random. */
function randomInit(pr: Problem, rng: () => number): Float64Array {
  const pool = positive(pr.w, pr.p.n);
  check(
    pool.length >= pr.K,
    () => `kmeans: init 'random' needs K = ${pr.K} points of positive weight, got ${pool.length}`,
  );
  for (let k = 0; k < pr.K; k++) {
    const j = k + Math.floor(rng() * (pool.length - k));
    [pool[k], pool[j]] = [pool[j]!, pool[k]!];
  }
  return rowsOf(pr.p, pool.subarray(0, pr.K));
}

/** Index drawn with probability ∝ mass[i] (mass ≥ 0, total > 0), by a cumulative scan. */
function draw(mass: ArrayLike<number>, total: number, rng: () => number): number {
  const target = rng() * total;
  let acc = 0;
  let last = -1;
  for (let i = 0; i < mass.length; i++) {
    const m = mass[i]!;
    if (m <= 0) continue;
    acc += m;
    last = i;
    if (acc > target) return i;
  }
  return last;
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii; scikit-learn's variant): each new centroid is the best
 * of 2 + ⌊ln K⌋ candidates drawn ∝ w·D², "best" meaning the lowest potential Σ_i w_i min(D²_i,
 * ‖x_i − y‖²), computed for all candidates by one Sum reduction over the points.
 */
function kmeansPlusPlus(pr: Problem, rng: () => number): Float64Array {
  const { K, p, X, eng } = pr;
  const { n, d, dtype } = p;
  const w = pr.w ?? new Float64Array(n).fill(1);
  const trials = 2 + Math.floor(Math.log(K));
  const c = new Float64Array(K * d);
  let totalW = 0;
  for (let i = 0; i < n; i++) totalW += w[i]!;
  const first = draw(w, totalW, rng);
  c.set(rowsOf(p, [first]), 0);
  const distTo = (y: Float64Array) => X.sqdist(Vj(matrix(y, 1, d, dtype))).sum('j', eng).data;
  const closest = Float64Array.from(distTo(c.subarray(0, d)));
  const mass = new Float64Array(n);
  for (let k = 1; k < K; k++) {
    let pot = 0;
    for (let i = 0; i < n; i++) {
      mass[i] = w[i]! * closest[i]!;
      pot += mass[i]!;
    }
    // All points sit on a centroid: any positive-weight point (empty clusters get re-seeded).
    const cands = Array.from({ length: trials }, () =>
      pot > 0 ? draw(mass, pot, rng) : draw(w, totalW, rng),
    );
    const Y = Vj(matrix(rowsOf(p, cands), trials, d, dtype));
    const D2 = Vi(matrix(closest, n, 1, dtype));
    const W = Vi(matrix(w, n, 1, dtype));
    // w_i · min(D²_i, ‖x_i − y‖²) = w_i · (D²_i − relu(D²_i − ‖x_i − y‖²)), summed over i.
    const pots = W.mul(D2.sub(D2.sub(X.sqdist(Y)).relu())).sum('i', eng).data;
    let b = 0;
    for (let t = 1; t < trials; t++) if (pots[t]! < pots[b]!) b = t;
    const y = rowsOf(p, [cands[b]!]);
    c.set(y, k * d);
    const dy = distTo(y);
    for (let i = 0; i < n; i++) if (dy[i]! < closest[i]!) closest[i] = dy[i]!;
  }
  return c;
}
