/**
 * Nadaraya–Watson smoothing of a vector field with a Gaussian kernel (RobOT's regulariser of
 * the non-rigid displacement): out(q) = Σ_k K(q, c_k) w_k v_k / Σ_k K(q, c_k) w_k with
 * K(q, c) = exp(−|q − c|²/(2 s²)), one SumSoftMaxWeight reduction.
 */
import { Pm, Vi, Vj } from '../lazy/index.js';
import type { DType, FloatArray } from '../ndarray.js';

/** Smallest weight kept in the log domain (zero weights would give −∞ logits). */
const WEIGHT_FLOOR = 1e-30;

function typed(v: ArrayLike<number>, dtype: DType): FloatArray {
  return dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v);
}

/**
 * @param queries [q, d]; @param centres [n, d]; @param values [n, d] (float64);
 * @param weights [n] (≥ 0); @param width the kernel's standard deviation s.
 */
export function kernelSmooth(
  queries: FloatArray,
  centres: FloatArray,
  values: Float64Array,
  weights: Float64Array,
  d: number,
  width: number,
  compute?: string,
): Float64Array {
  const dtype: DType = centres instanceof Float32Array ? 'float32' : 'float64';
  const n = centres.length / d;
  let wmax = 0;
  for (const w of weights) wmax = Math.max(wmax, w);
  const logw = new Float64Array(n);
  for (let k = 0; k < n; k++) logw[k] = Math.log(Math.max(weights[k]! / wmax, WEIGHT_FLOOR));
  const Q = Vi({ data: typed(queries, dtype), shape: [queries.length / d, d] });
  const C = Vj({ data: centres, shape: [n, d] });
  const logits = Vj({ data: typed(logw, dtype), shape: [n, 1] }).sub(
    Q.sqdist(C).mul(Pm(0.5 / (width * width))),
  );
  const out = logits.sumSoftmaxWeight(Vj({ data: typed(values, dtype), shape: [n, d] }), 'j', {
    backend: compute,
  }).data;
  return Float64Array.from(out);
}
