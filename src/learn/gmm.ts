/**
 * Gaussian mixtures fitted by EM in the log domain. One EM iteration is two reductions:
 *  1. log p(x_i) = LogSumExp_k [a_k − ½ (x_i − μ_k)ᵀ P_k (x_i − μ_k)]   (over the components);
 *  2. for each component k, Σ_i r_ik·(1, y_ik, y_ik y_ikᵀ) with r_ik = exp(logit_ik − log p(x_i))
 *     and y_ik = x_i − μ_k (a Sum over the points, in float64).
 * The statistics are centred on the current means, so the covariances need no large
 * cancellation; responsibilities are exp of a non-positive number (never overflow), and
 * 10·ε is added to each component's mass (as scikit-learn) so empty components stay finite.
 */
import { check, LazyTensorError } from '../errors.js';
import { type LazyTensor, Pm, type ReduceOptions, Vi, Vj } from '../lazy/index.js';
import type { DType, FloatArray, NDArray } from '../ndarray.js';
import { mulberry32 } from '../random.js';
import {
  checkCount,
  checkNonNegative,
  engine,
  matrix,
  options,
  type Points,
  points,
  pointsOfDim,
} from './input.js';
import { kmeans } from './kmeans.js';
import { invertSpd } from './spd.js';

export type CovarianceType = 'full' | 'diag' | 'spherical';

export interface GaussianMixtureOptions {
  /** Covariance of each component: 'full' (default), 'diag' or 'spherical'. */
  covariance?: CovarianceType;
  /** EM iterations at most (default 100). */
  maxIter?: number;
  /** Converged when the mean log-likelihood changes by less than tol (default 1e-3). */
  tol?: number;
  /** Added to the covariances' diagonal (default 1e-6). */
  regCovar?: number;
  /** 'kmeans' (default: the k-means clusters' proportions, means, covariances) or 'random'. */
  init?: 'kmeans' | 'random';
  /** Restarts; the highest final log-likelihood wins (default 1). */
  nInit?: number;
  /** Seed of the initialisation (default 0). */
  seed?: number;
  /** Engine backend ('auto', 'js', 'native', ...). */
  backend?: string;
}

export interface GaussianMixtureResult {
  /** Mixture weights π_k (sum 1), [K]. */
  weights: Float64Array;
  /** Means [K, D] (float64). */
  means: NDArray<Float64Array>;
  /** Covariances: [K, D, D] (full), [K, D] (diag) or [K] (spherical), float64. */
  covariances: NDArray<Float64Array>;
  /** Mean log-density of the training points under the returned parameters. */
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  /** Most likely component of each point, [N]. */
  predict(x: NDArray | number[][]): NDArray<Int32Array>;
  /** Posterior probabilities of the components, [N, K]. */
  predictProba(x: NDArray | number[][]): NDArray<FloatArray>;
  /** log p(x_i) under the mixture, [N]. */
  scoreSamples(x: NDArray | number[][]): NDArray<FloatArray>;
}

/** Parameters of a mixture (float64) plus what the formulas need. */
interface Params {
  weights: Float64Array;
  means: Float64Array;
  cov: Float64Array;
  /** Precision per component, as WeightedSqDist wants it: D² (full), D (diag) or 1 (spherical). */
  prec: Float64Array;
  /** a_k = log π_k + ½ log det P_k − (D/2) log 2π. */
  logNorm: Float64Array;
}

interface Model {
  K: number;
  d: number;
  type: CovarianceType;
  reg: number;
  eng: ReduceOptions;
}

const COVARIANCES: readonly CovarianceType[] = ['full', 'diag', 'spherical'];

/** Fits a K-component Gaussian mixture to the rows of x by EM. */
export function gaussianMixture(
  x: NDArray | number[][],
  K: number,
  opts?: GaussianMixtureOptions,
): GaussianMixtureResult {
  const o = options(opts, 'gaussianMixture');
  const p = points(x, 'gaussianMixture(x)');
  checkCount(K, 'gaussianMixture: K', 1, p.n, ` (at most the number of points, ${p.n})`);
  const type = o.covariance ?? 'full';
  check(
    COVARIANCES.includes(type),
    () => `gaussianMixture: covariance must be 'full', 'diag' or 'spherical', got ${String(type)}`,
  );
  const maxIter = checkCount(o.maxIter ?? 100, 'gaussianMixture: maxIter', 1, Number.MAX_SAFE_INTEGER);
  const tol = checkNonNegative(o.tol ?? 1e-3, 'gaussianMixture: tol');
  const reg = checkNonNegative(o.regCovar ?? 1e-6, 'gaussianMixture: regCovar');
  const nInit = checkCount(o.nInit ?? 1, 'gaussianMixture: nInit', 1, 1e6);
  const seed = checkCount(o.seed ?? 0, 'gaussianMixture: seed', 0, 2 ** 32 - 1);
  const init = o.init ?? 'kmeans';
  check(
    init === 'kmeans' || init === 'random',
    () => `gaussianMixture: init must be 'kmeans' or 'random', got ${String(init)}`,
  );
  const m: Model = { K, d: p.d, type, reg, eng: engine(o) };
  const X = Vi(p.array);
  const seeds = mulberry32(seed);
  let best: { params: Params; logLikelihood: number; iterations: number; converged: boolean } | undefined;
  for (let run = 0; run < nInit; run++) {
    const runSeed = Math.floor(seeds() * 2 ** 32);
    let params = init === 'kmeans' ? kmeansInit(m, p, runSeed) : randomInit(m, p, runSeed);
    let prev = Number.NEGATIVE_INFINITY;
    let iterations = 0;
    let converged = false;
    while (iterations < maxIter) {
      const logp = logDensity(m, X, params, p.dtype);
      const lower = mean(logp);
      params = mStep(m, statistics(m, X, params, logp, p.dtype), params.means);
      iterations++;
      if (Math.abs(lower - prev) < tol) {
        converged = true;
        break;
      }
      prev = lower;
    }
    const logLikelihood = mean(logDensity(m, X, params, p.dtype));
    if (!best || logLikelihood > best.logLikelihood) best = { params, logLikelihood, iterations, converged };
  }
  return result(m, best!.params, best!);
}

function result(
  m: Model,
  params: Params,
  fit: { logLikelihood: number; iterations: number; converged: boolean },
): GaussianMixtureResult {
  const { K, d, type } = m;
  const query = (x: NDArray | number[][], what: string) => {
    const q = pointsOfDim(x, d, `gaussianMixture: ${what}(x)`);
    return { q, L: logits(m, Vi(q.array), params, q.dtype) };
  };
  return {
    weights: Float64Array.from(params.weights),
    means: { data: Float64Array.from(params.means), shape: [K, d] },
    covariances: {
      data: Float64Array.from(params.cov),
      shape: type === 'full' ? [K, d, d] : type === 'diag' ? [K, d] : [K],
    },
    ...fit,
    predict(x) {
      const { q, L } = query(x, 'predict');
      // All logits −∞ (every distance overflows): no component is more likely, say so.
      const { values, indices } = L.maxArgmax('j', m.eng);
      checkFinite(values.data, q.dtype, 'gaussianMixture: predict(x)', 'its logits are');
      return { data: indices.data, shape: [q.n] };
    },
    predictProba(x) {
      const { q, L } = query(x, 'predictProba');
      const k = Vj(
        matrix(
          Float64Array.from({ length: K }, (_, j) => j),
          K,
          1,
          q.dtype,
        ),
      );
      const proba = L.sumSoftmaxWeight(k.onehot(K), 'j', m.eng).data;
      // NaN rows: all logits −∞ (0/0 in the softmax).
      checkFinite(proba, q.dtype, 'gaussianMixture: predictProba(x)', 'its posterior is', K);
      return { data: proba, shape: [q.n, K] };
    },
    scoreSamples(x) {
      const { q, L } = query(x, 'scoreSamples');
      const lse = L.logsumexp('j', m.eng).data;
      checkFinite(lse, q.dtype, 'gaussianMixture: scoreSamples(x)', 'its log-density is');
      return { data: lse, shape: [q.n] };
    },
  };
}

/** logit_ik = a_k − ½ (x_i − μ_k)ᵀ P_k (x_i − μ_k), as a LazyTensor (K components along j). */
function logits(m: Model, X: LazyTensor, params: Params, dtype: DType): LazyTensor {
  const { K, d } = m;
  const A = Vj(matrix(params.logNorm, K, 1, dtype));
  const M = Vj(matrix(params.means, K, d, dtype));
  const P = Vj(matrix(params.prec, K, params.prec.length / K, dtype));
  return A.sub(X.weightedSqDist(M, P).mul(0.5));
}

/** log p(x_i) of every point: one LogSumExp reduction over the components. */
function logDensity(m: Model, X: LazyTensor, params: Params, dtype: DType): FloatArray {
  const lse = logits(m, X, params, dtype).logsumexp('j', m.eng).data;
  checkFinite(lse, dtype, 'gaussianMixture', 'its log-density is');
  return lse;
}

/**
 * Throws when a value of `v` (rows of `width`) is not finite: the point's distances to every
 * component, scaled by the precisions, overflow the dtype.
 */
function checkFinite(v: FloatArray, dtype: DType, what: string, whose: string, width = 1): void {
  for (let t = 0; t < v.length; t++) {
    if (!Number.isFinite(v[t]!)) {
      throw new LazyTensorError(
        `${what}: point ${Math.floor(t / width)}: ${whose} ${v[t]} (its scaled distances to every component overflow the ${dtype} range: it is far from all of them, or their variances are too small for ${dtype}); rescale the data${dtype === 'float32' ? ' or use float64' : ''}`,
      );
    }
  }
}

/**
 * Σ_i r_ik (1, y, y yᵀ | y² | ‖y‖²) with y = x_i − μ_k, for every component: one Sum reduction
 * over the points of the K×N responsibilities times the centred moments, [K, 1 + D + S].
 */
function statistics(m: Model, X: LazyTensor, params: Params, logp: FloatArray, dtype: DType): Float64Array {
  const { K, d, type } = m;
  const M = Vj(matrix(params.means, K, d, dtype));
  const R = logits(m, X, params, dtype)
    .sub(Vi({ data: logp, shape: [logp.length, 1] }))
    .exp();
  const Y = X.sub(M);
  const second = type === 'full' ? Y.tensorprod(Y) : type === 'diag' ? Y.square() : Y.sqnorm2();
  const moments = Pm(1).concat(Y).concat(second);
  const stats = Float64Array.from(R.mul(moments).sum('i', { ...m.eng, accumulator: 'float64' }).data);
  const bad = stats.findIndex((v) => !Number.isFinite(v));
  check(
    bad < 0,
    () =>
      `gaussianMixture: the moments of component ${Math.floor(bad / (stats.length / K))} overflow the ${dtype} range (its points' squared distances do); rescale the data${dtype === 'float32' ? ' or use float64' : ''}`,
  );
  return stats;
}

/** Parameters from each component's mass and moments centred at `centre` (stats [K, 1 + D + S]). */
function mStep(m: Model, stats: Float64Array, centre: Float64Array): Params {
  const { K, d, type } = m;
  const S = type === 'full' ? d * d : type === 'diag' ? d : 1;
  const width = 1 + d + S;
  const mass = new Float64Array(K);
  const means = new Float64Array(K * d);
  const cov = new Float64Array(K * S);
  const delta = new Float64Array(d);
  for (let k = 0; k < K; k++) {
    const row = k * width;
    const nk = stats[row]! + 10 * Number.EPSILON;
    mass[k] = nk;
    for (let a = 0; a < d; a++) {
      delta[a] = stats[row + 1 + a]! / nk;
      means[k * d + a] = centre[k * d + a]! + delta[a]!;
    }
    // Covariance about the new mean: E[y yᵀ] − δ δᵀ, with y centred at the old mean.
    if (type === 'full') {
      for (let a = 0; a < d; a++)
        for (let b = 0; b < d; b++)
          cov[k * S + a * d + b] = stats[row + 1 + d + a * d + b]! / nk - delta[a]! * delta[b]!;
    } else if (type === 'diag') {
      for (let a = 0; a < d; a++) cov[k * S + a] = stats[row + 1 + d + a]! / nk - delta[a]! ** 2;
    } else {
      let s = stats[row + 1 + d]! / nk;
      for (let a = 0; a < d; a++) s -= delta[a]! ** 2;
      cov[k] = s / d;
    }
  }
  return fromMoments(m, mass, means, cov);
}

/** Completes the parameters: weights ∝ mass, covariance + regCovar·I, precisions, log-normalisers. */
function fromMoments(m: Model, mass: Float64Array, means: Float64Array, cov: Float64Array): Params {
  const { K, d, type, reg } = m;
  const S = cov.length / K;
  let total = 0;
  for (let k = 0; k < K; k++) total += mass[k]!;
  const weights = mass.map((v) => v / total);
  const prec = new Float64Array(K * S);
  const logNorm = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let logdetP: number;
    if (type === 'full') {
      const c = cov.subarray(k * S, (k + 1) * S);
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < a; b++) c[a * d + b] = c[b * d + a] = 0.5 * (c[a * d + b]! + c[b * d + a]!);
        c[a * d + a] = Math.max(c[a * d + a]!, 0) + reg;
      }
      logdetP = invertSpd(c, d, prec.subarray(k * S, (k + 1) * S));
      check(
        !Number.isNaN(logdetP),
        () => `gaussianMixture: the covariance of component ${k} is not positive definite; increase regCovar`,
      );
    } else {
      logdetP = 0;
      for (let s = 0; s < S; s++) {
        const v = Math.max(cov[k * S + s]!, 0) + reg;
        check(v > 0, () => `gaussianMixture: component ${k} has a zero variance; give regCovar > 0`);
        cov[k * S + s] = v;
        prec[k * S + s] = 1 / v;
        logdetP -= (type === 'spherical' ? d : 1) * Math.log(v);
      }
    }
    logNorm[k] = Math.log(weights[k]!) + 0.5 * logdetP - 0.5 * d * Math.log(2 * Math.PI);
  }
  return { weights, means, cov, prec, logNorm };
}

/** Hard-assignment statistics (as `statistics` with r ∈ {0, 1}), from the k-means clusters. */
function kmeansInit(m: Model, p: Points, seed: number): Params {
  const { K, d, type } = m;
  let km: ReturnType<typeof kmeans>;
  try {
    km = kmeans(p.array, K, { seed, backend: m.eng.backend });
  } catch (e) {
    if (e instanceof LazyTensorError)
      throw new LazyTensorError(`gaussianMixture: init 'kmeans': ${e.message}`);
    throw e;
  }
  const c = Float64Array.from(km.centroids.data);
  const S = type === 'full' ? d * d : type === 'diag' ? d : 1;
  const width = 1 + d + S;
  const stats = new Float64Array(K * width);
  const y = new Float64Array(d);
  for (let i = 0; i < p.n; i++) {
    const k = km.labels.data[i]!;
    const row = k * width;
    stats[row]! += 1;
    let sq = 0;
    for (let a = 0; a < d; a++) {
      y[a] = p.data[i * d + a]! - c[k * d + a]!;
      stats[row + 1 + a]! += y[a];
      sq += y[a]! ** 2;
    }
    if (type === 'full') {
      for (let a = 0; a < d; a++)
        for (let b = 0; b < d; b++) stats[row + 1 + d + a * d + b]! += y[a]! * y[b]!;
    } else if (type === 'diag') {
      for (let a = 0; a < d; a++) stats[row + 1 + d + a]! += y[a]! ** 2;
    } else stats[row + 1 + d]! += sq;
  }
  return mStep(m, stats, c);
}

/** Means at K distinct random points, every covariance the data's, equal weights. */
function randomInit(m: Model, p: Points, seed: number): Params {
  const { K, d, type } = m;
  const { n, data } = p;
  const rng = mulberry32(seed);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  const means = new Float64Array(K * d);
  for (let k = 0; k < K; k++) {
    const j = k + Math.floor(rng() * (n - k));
    [pool[k], pool[j]] = [pool[j]!, pool[k]!];
    for (let a = 0; a < d; a++) means[k * d + a] = data[pool[k]! * d + a]!;
  }
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) mu[a]! += data[i * d + a]! / n;
  const full = new Float64Array(d * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++)
        full[a * d + b]! += ((data[i * d + a]! - mu[a]!) * (data[i * d + b]! - mu[b]!)) / n;
  const S = type === 'full' ? d * d : type === 'diag' ? d : 1;
  const cov = new Float64Array(K * S);
  let trace = 0;
  for (let a = 0; a < d; a++) trace += full[a * d + a]!;
  for (let k = 0; k < K; k++) {
    if (type === 'full') cov.set(full, k * S);
    else if (type === 'diag') for (let a = 0; a < d; a++) cov[k * S + a] = full[a * d + a]!;
    else cov[k] = trace / d;
  }
  return fromMoments(m, new Float64Array(K).fill(1), means, cov);
}

function mean(v: FloatArray): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}
