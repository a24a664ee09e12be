/** Data generators and dense float64 references shared by the learn tests. */
import type { NDArray } from '../../src/ndarray.js';
import { normal, rng } from '../helpers/rng.js';

/** `perCluster` points around each centre (row-major [C, D]) with standard deviation sigma. */
export function blobs(
  centres: number[][],
  perCluster: number,
  sigma: number,
  seed: number,
): { x: NDArray<Float64Array>; truth: Int32Array } {
  const d = centres[0]!.length;
  const n = centres.length * perCluster;
  const z = normal(rng(seed), n * d);
  const data = new Float64Array(n * d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % centres.length;
    truth[i] = c;
    for (let a = 0; a < d; a++) data[i * d + a] = centres[c]![a]! + sigma * z[i * d + a]!;
  }
  return { x: { data, shape: [n, d] }, truth };
}

/** ‖x_i − y_j‖² in float64. */
export function sqDist(x: ArrayLike<number>, i: number, y: ArrayLike<number>, j: number, d: number): number {
  let s = 0;
  for (let a = 0; a < d; a++) s += (x[i * d + a]! - y[j * d + a]!) ** 2;
  return s;
}

/** The nearest of the K centroids c [K·D] to point i (lowest index on ties) and its squared distance. */
export function nearest(x: ArrayLike<number>, i: number, c: ArrayLike<number>, K: number, d: number) {
  let k = 0;
  let d2 = sqDist(x, i, c, 0, d);
  for (let j = 1; j < K; j++) {
    const v = sqDist(x, i, c, j, d);
    if (v < d2) {
      d2 = v;
      k = j;
    }
  }
  return { k, d2 };
}

/**
 * Dense float64 Lloyd with scikit-learn's stopping rule (no empty clusters expected): the
 * centroids, iterations and convergence flag of a run from `init` [K·D], with weights w.
 */
export function referenceLloyd(
  x: Float64Array,
  n: number,
  d: number,
  w: Float64Array,
  init: Float64Array,
  maxIter: number,
  tol: number,
) {
  const K = init.length / d;
  let varSum = 0;
  for (let a = 0; a < d; a++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * d + a]! / n;
    for (let i = 0; i < n; i++) varSum += (x[i * d + a]! - m) ** 2 / n;
  }
  const tolAbs = (tol * varSum) / d;
  let c = Float64Array.from(init);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    const sums = new Float64Array(K * d);
    const mass = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      const best = nearest(x, i, c, K, d).k;
      mass[best]! += w[i];
      for (let a = 0; a < d; a++) sums[best * d + a]! += w[i]! * x[i * d + a]!;
    }
    const next = c.map((v, t) => (mass[Math.floor(t / d)]! > 0 ? sums[t]! / mass[Math.floor(t / d)]! : v));
    let shift = 0;
    for (let t = 0; t < c.length; t++) shift += (next[t]! - c[t]!) ** 2;
    c = next;
    iterations++;
    if (shift <= tolAbs) {
      converged = true;
      break;
    }
  }
  return { centroids: c, iterations, converged };
}

/**
 * Dense float64 Lloyd that re-seeds empty clusters as kmeans documents (each cluster without
 * weight, in index order, takes the point of positive weight farthest from its centroid, largest
 * d² then lowest index, each point at most once), for exactly maxIter iterations: the centroids,
 * the labels of the last assignment, and the iterations at which it re-seeded.
 */
export function referenceLloydReseed(
  x: Float64Array,
  n: number,
  d: number,
  w: Float64Array,
  init: Float64Array,
  maxIter: number,
) {
  const K = init.length / d;
  let c = Float64Array.from(init);
  const reseeds: number[] = [];
  const labels = new Int32Array(n);
  const d2 = new Float64Array(n);
  for (let it = 0; it < maxIter; it++) {
    for (let i = 0; i < n; i++) {
      const near = nearest(x, i, c, K, d);
      labels[i] = near.k;
      d2[i] = near.d2;
    }
    const sums = new Float64Array(K * d);
    const mass = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      mass[labels[i]!] += w[i]!;
      for (let a = 0; a < d; a++) sums[labels[i]! * d + a] += w[i]! * x[i * d + a]!;
    }
    const taken = new Uint8Array(n);
    for (let k = 0; k < K; k++) {
      if (mass[k]! > 0) continue;
      let far = -1;
      for (let i = 0; i < n; i++) if (w[i]! > 0 && !taken[i] && (far < 0 || d2[i]! > d2[far]!)) far = i;
      if (far < 0) continue;
      taken[far] = 1;
      reseeds.push(it);
      const o = labels[far]!;
      mass[o] -= w[far]!;
      mass[k] = w[far]!;
      for (let a = 0; a < d; a++) {
        sums[o * d + a] -= w[far]! * x[far * d + a]!;
        sums[k * d + a] = w[far]! * x[far * d + a]!;
      }
    }
    c = c.map((v, t) => (mass[Math.floor(t / d)]! > 0 ? sums[t]! / mass[Math.floor(t / d)]! : v));
  }
  // The labels of the returned centroids.
  for (let i = 0; i < n; i++) labels[i] = nearest(x, i, c, K, d).k;
  return { centroids: c, labels, reseeds };
}

/** Inverse and log-determinant of a small SPD matrix by Gauss–Jordan elimination (float64). */
export function inverseLogDet(m: ArrayLike<number>, d: number): { inv: Float64Array; logdet: number } {
  const a = Float64Array.from({ length: d * d }, (_, k) => m[k]!);
  const inv = Float64Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 1 : 0));
  let logdet = 0;
  for (let c = 0; c < d; c++) {
    let piv = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r * d + c]!) > Math.abs(a[piv * d + c]!)) piv = r;
    for (let k = 0; k < d; k++) {
      [a[c * d + k], a[piv * d + k]] = [a[piv * d + k]!, a[c * d + k]!];
      [inv[c * d + k], inv[piv * d + k]] = [inv[piv * d + k]!, inv[c * d + k]!];
    }
    const p = a[c * d + c]!;
    logdet += Math.log(Math.abs(p));
    for (let k = 0; k < d; k++) {
      a[c * d + k]! /= p;
      inv[c * d + k]! /= p;
    }
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = a[r * d + c]!;
      for (let k = 0; k < d; k++) {
        a[r * d + k]! -= f * a[c * d + k]!;
        inv[r * d + k]! -= f * inv[c * d + k]!;
      }
    }
  }
  return { inv, logdet };
}

/** Full D×D covariance of component k from any of the three layouts. */
export function fullCovariance(cov: NDArray<Float64Array>, k: number, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      if (cov.shape.length === 3) out[a * d + b] = cov.data[k * d * d + a * d + b]!;
      else if (a === b) out[a * d + b] = cov.shape.length === 2 ? cov.data[k * d + a]! : cov.data[k]!;
    }
  }
  return out;
}

/** log N(x_i | μ_k, Σ_k) for every (i, k), dense float64, [N, K]. */
export function logGaussians(
  x: ArrayLike<number>,
  n: number,
  d: number,
  means: ArrayLike<number>,
  cov: NDArray<Float64Array>,
  K: number,
): Float64Array {
  const out = new Float64Array(n * K);
  for (let k = 0; k < K; k++) {
    const { inv, logdet } = inverseLogDet(fullCovariance(cov, k, d), d);
    for (let i = 0; i < n; i++) {
      let q = 0;
      for (let a = 0; a < d; a++)
        for (let b = 0; b < d; b++)
          q += (x[i * d + a]! - means[k * d + a]!) * inv[a * d + b]! * (x[i * d + b]! - means[k * d + b]!);
      out[i * K + k] = -0.5 * q - 0.5 * logdet - 0.5 * d * Math.log(2 * Math.PI);
    }
  }
  return out;
}

/** log Σ_k exp(v_k) of a row, dense. */
export function logSumExp(v: ArrayLike<number>, from: number, count: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < count; k++) m = Math.max(m, v[from + k]!);
  let s = 0;
  for (let k = 0; k < count; k++) s += Math.exp(v[from + k]! - m);
  return m + Math.log(s);
}
