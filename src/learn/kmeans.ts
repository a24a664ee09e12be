/**
 * K-means on the engine's reductions: the options, the initialisations and the restarts. The
 * iterations are exact Lloyd, run plainly (lloyd.ts: every point assigned by one Min_ArgMin
 * reduction per iteration) or with Hamerly's bounds (hamerly.ts: only the points whose bounds
 * fail are assigned again), both from the steps of kmeansSteps.ts. k-means++ seeding is greedy D²
 * sampling (as scikit-learn): the candidates' potentials are one Sum reduction over the points.
 */
import { check } from '../errors.js';
import { Vi, Vj } from '../lazy/index.js';
import { type FloatArray, isNDArray, type NDArray } from '../ndarray.js';
import { mulberry32 } from '../random.js';
import { hamerly } from './hamerly.js';
import {
  checkCount,
  checkNonNegative,
  checkSquaredDistances,
  engine,
  matrix,
  options,
  type Points,
  points,
  sampleWeights,
} from './input.js';
import type { Problem } from './kmeansSteps.js';
import { lloyd } from './lloyd.js';

export interface KMeansOptions {
  /** 'kmeans++' (default), 'random' (K distinct points) or the initial centroids [K, D]. */
  init?: 'kmeans++' | 'random' | NDArray | number[][];
  /** Lloyd iterations at most (default 300). */
  maxIter?: number;
  /** Relative tolerance on the centroid shift (default 1e-4), see `kmeans`. */
  tol?: number;
  /**
   * Restarts with different seeds; the lowest inertia wins, except that a restart finding the
   * clustering of the best one so far again (same partition, inertia lower by rounding) does not
   * replace it, as scikit-learn (default 1).
   */
  nInit?: number;
  /** Seed of the initialisation (default 0). */
  seed?: number;
  /** Sample weights, one per point (default: all 1). */
  weights?: Float64Array;
  /**
   * 'lloyd': every point is assigned again at every iteration (one reduction over all centroids).
   * 'hamerly': the same iterations and results (exact), assigning again only the points whose
   * distance bounds (Hamerly's) no longer prove their cluster. Its per-point bookkeeping runs in
   * JavaScript, the full assignment in the engine: it pays off where the full assignment is slow
   * (the 'js' backend: 2 to 5 times less CPU at N = 1e5, K = 50) and costs more than 'lloyd' with
   * the 'native' one at small D and K (1.5 to 2 times). 'auto' (default): 'lloyd'.
   */
  algorithm?: KMeansAlgorithm;
  /** Engine backend ('auto', 'js', 'native', ...). */
  backend?: string;
}

export type KMeansAlgorithm = 'auto' | 'lloyd' | 'hamerly';

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

/**
 * Weighted K-means clustering of the rows of x. Converged when Σ_k ‖Δc_k‖² ≤ tol · (mean
 * per-feature variance of x), as scikit-learn. Empty clusters are re-seeded from the points
 * farthest from their centroid (deterministically: largest distance, then lowest index).
 */
export function kmeans(x: NDArray | number[][], K: number, opts?: KMeansOptions): KMeansResult {
  const o = options(opts, 'kmeans');
  const p = points(x, 'kmeans(x)');
  checkSquaredDistances('kmeans(x)', p);
  checkCount(K, 'kmeans: K', 1, p.n, ` (at most the number of points, ${p.n})`);
  const maxIter = checkCount(o.maxIter ?? 300, 'kmeans: maxIter', 1, Number.MAX_SAFE_INTEGER);
  const tol = checkNonNegative(o.tol ?? 1e-4, 'kmeans: tol');
  const nInit = checkCount(o.nInit ?? 1, 'kmeans: nInit', 1, 1e6);
  const seed = checkCount(o.seed ?? 0, 'kmeans: seed', 0, 2 ** 32 - 1);
  const algorithm = o.algorithm ?? 'auto';
  check(
    algorithm === 'auto' || algorithm === 'lloyd' || algorithm === 'hamerly',
    () => `kmeans: algorithm must be 'auto', 'lloyd' or 'hamerly', got ${String(algorithm)}`,
  );
  const runOf = algorithm === 'hamerly' ? hamerly : lloyd;
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
  let best: ReturnType<typeof runOf> | undefined;
  for (let r = 0; r < (given ? 1 : nInit); r++) {
    const rng = mulberry32(Math.floor(seeds() * 2 ** 32));
    const c0 = given ?? (init === 'random' ? randomInit(pr, rng) : kmeansPlusPlus(pr, rng));
    const res = runOf(pr, c0, maxIter, tolAbs);
    // A restart that finds the best one's clustering again (its inertia lower by rounding only)
    // leaves it in place, as scikit-learn: which restart wins does not hinge on the last bits.
    if (!best || (res.inertia < best.inertia && !sameClustering(res.labels, best.labels, K))) best = res;
  }
  return {
    labels: { data: best!.labels, shape: [p.n] },
    centroids: matrix(best!.c, K, p.d, p.dtype),
    inertia: best!.inertia,
    iterations: best!.iterations,
    converged: best!.converged,
  };
}

/** Whether two labellings are the same partition of the points (up to renumbering the clusters). */
function sameClustering(a: Int32Array, b: Int32Array, K: number): boolean {
  const ab = new Int32Array(K).fill(-1);
  const ba = new Int32Array(K).fill(-1);
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    const q = b[i]!;
    if (ab[p] === -1 && ba[q] === -1) {
      ab[p] = q;
      ba[q] = p;
    } else if (ab[p] !== q || ba[q] !== p) return false;
  }
  return true;
}

/** Mean over the features of the per-feature (population) variance, as scikit-learn's tolerance. */
function meanVariance(p: Points): number {
  const { n, d, data } = p;
  // Two passes over the rows (all features at once), each feature summed in row order.
  const m = new Float64Array(d);
  for (let i = 0, j = 0; i < n; i++) for (let c = 0; c < d; c++, j++) m[c] += data[j]!;
  for (let c = 0; c < d; c++) m[c]! /= n;
  const v = new Float64Array(d);
  for (let i = 0, j = 0; i < n; i++) for (let c = 0; c < d; c++, j++) v[c] += (data[j]! - m[c]!) ** 2;
  let total = 0;
  for (let c = 0; c < d; c++) total += v[c]! / n;
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
