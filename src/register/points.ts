/** Point-cloud helpers of the registration pipeline: copies, seeded subsets, centroids, robust size. */
import type { DType, FloatArray } from '../ndarray.js';
import { mulberry32 } from '../random.js';

/** A copy of `v` in the given float dtype. */
export function typed(v: ArrayLike<number>, dtype: DType): FloatArray {
  return dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v);
}

/** A seeded subset of at most k points of a cloud, its weights rescaled to the same total mass. */
export function subsample(data: FloatArray, w: Float64Array, d: number, k: number, seed: number) {
  const n = w.length;
  if (n <= k) return { data, w, n };
  const rand = mulberry32(seed);
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const out = data instanceof Float32Array ? new Float32Array(k * d) : new Float64Array(k * d);
  const ws = new Float64Array(k);
  let total = 0;
  let kept = 0;
  for (let i = 0; i < n; i++) total += w[i]!;
  for (let i = 0; i < k; i++) {
    const s = idx[i]!;
    for (let c = 0; c < d; c++) out[i * d + c] = data[s * d + c]!;
    ws[i] = w[s]!;
    kept += w[s]!;
  }
  if (kept > 0) for (let i = 0; i < k; i++) ws[i] = (ws[i]! * total) / kept;
  else ws.fill(total / k);
  return { data: out, w: ws, n: k };
}

export function weightedCentroid(data: ArrayLike<number>, w: Float64Array, d: number): Float64Array {
  const c = new Float64Array(d);
  let W = 0;
  for (let i = 0; i < w.length; i++) {
    W += w[i]!;
    for (let k = 0; k < d; k++) c[k] = c[k]! + w[i]! * data[i * d + k]!;
  }
  return c.map((v) => v / W);
}

/**
 * Largest side of the bounding box of the central 90% of the points on every axis (5th to 95th
 * percentile), divided by 0.9: the scale of the blur and reach defaults, which far outliers must not inflate.
 */
export function sizeOf(data: ArrayLike<number>, n: number, d: number): number {
  let size = 0;
  const v = new Float64Array(n);
  const lo = Math.floor(0.05 * (n - 1));
  const hi = Math.ceil(0.95 * (n - 1));
  for (let k = 0; k < d; k++) {
    for (let i = 0; i < n; i++) v[i] = data[i * d + k]!;
    v.sort();
    size = Math.max(size, (v[hi]! - v[lo]!) / 0.9);
  }
  return size;
}
