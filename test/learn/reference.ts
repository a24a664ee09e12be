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
