/**
 * Points so small that their squared distances underflow the dtype (all 0: every nearest
 * neighbour or centroid a tie) are handled scaled up by a power of two, which is exact: the
 * nearest points and the clusters do not change, and distances scale back by 4^−e exactly.
 */
import { allocFloat, type DType, dtypeOf, type FloatArray, type NDArray } from '../ndarray.js';
import { maxAbs, someAbsAtLeast } from './floatScans.js';
import type { Points } from './input.js';

/**
 * Coordinates below these magnitudes have squared differences that underflow the dtype: float32
 * squares fall below 2^-126 from |x| ≈ 2^-40 at a relative spread of 2^-24, float64 ones below
 * 2^-1022 from |x| ≈ 2^-458 at 2^-52.
 */
const TINY = { float32: 2 ** -32, float64: 2 ** -400 } as const;

/**
 * Exponent e such that the data times 2^e have their largest magnitude in [1, 2): only when that
 * magnitude (the largest of `arrays` and `extra`) is below TINY of the dtype; 0 otherwise (the
 * caller then runs exactly as without this step).
 */
export function underflowExponent(dtype: DType, arrays: FloatArray[], extra?: ArrayLike<number>): number {
  // Usual data: the first value read is not tiny, and that settles it (no pass over the arrays).
  const tiny = TINY[dtype];
  if (arrays.some((a) => someAbsAtLeast(a, tiny))) return 0;
  if (extra) for (let k = 0; k < extra.length; k++) if (!(Math.abs(extra[k]!) < tiny)) return 0;
  let m = 0;
  for (const a of arrays) m = Math.max(m, maxAbs(a));
  if (extra) for (let k = 0; k < extra.length; k++) m = Math.max(m, Math.abs(extra[k]!));
  return m === 0 ? 0 : -Math.floor(Math.log2(m));
}

/** v · 2^e in two steps (2^e alone overflows float64 from e = 1024, underflows below −1074). */
export function timesPow2(v: number, e: number): number {
  const h = Math.trunc(e / 2);
  return v * 2 ** h * 2 ** (e - h);
}

/** The array times 2^e (exact), a new array of the same dtype and shape. */
export function scaledArray(a: NDArray<FloatArray>, e: number): NDArray<FloatArray> {
  const data = allocFloat(dtypeOf(a.data), a.data.length);
  for (let k = 0; k < data.length; k++) data[k] = timesPow2(a.data[k]!, e);
  return { data, shape: a.shape };
}

/** The points times 2^e (exact), as new points. */
export function scaledPoints(p: Points, e: number): Points {
  const array = scaledArray(p.array, e);
  return { ...p, array, data: array.data };
}

/** Multiplies every value by 2^e in place (squared distances back to the caller's scale: e = −2·e₀). */
export function scaleInPlace(v: FloatArray, e: number): void {
  for (let k = 0; k < v.length; k++) v[k] = timesPow2(v[k]!, e);
}
