/**
 * Whole-array passes that a fit makes once per call (the input check, the inertia's total), with
 * one loop per float dtype: a loop that has seen both Float32Array and Float64Array reads them
 * through polymorphic element access, measured 2 to 5 times slower on 3e5 values (V8), and fits
 * in both dtypes in one process are usual (a benchmark's float32 run before its float64 one).
 * Closures made by one factory would share that feedback, hence the two copies of each loop.
 */
import type { FloatArray } from '../ndarray.js';

/** Index of the first NaN or ±Infinity in `data`, -1 when all are finite. */
export function firstNonFinite(data: FloatArray): number {
  const clean = data instanceof Float64Array ? finite64(data) : finite32(data as Float32Array);
  if (clean) return -1;
  for (let k = 0; k < data.length; k++) if (!Number.isFinite(data[k]!)) return k;
  return -1;
}

// v · 0 is ±0 for finite v and NaN otherwise: the sums of those are 0 exactly when all are
// finite. Branch-free, two independent chains of additions.

function finite64(data: Float64Array): boolean {
  const n = data.length;
  let a = 0;
  let b = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    a += data[k]! * 0 + data[k + 1]! * 0;
    b += data[k + 2]! * 0 + data[k + 3]! * 0;
  }
  for (; k < n; k++) a += data[k]! * 0;
  return a + b === 0;
}

function finite32(data: Float32Array): boolean {
  const n = data.length;
  let a = 0;
  let b = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    a += data[k]! * 0 + data[k + 1]! * 0;
    b += data[k + 2]! * 0 + data[k + 3]! * 0;
  }
  for (; k < n; k++) a += data[k]! * 0;
  return a + b === 0;
}

/**
 * Whether some |v| in `data` is at least `t` (a NaN counts): stops at the first such value, so
 * data of ordinary magnitude answers after one read (one loop for both dtypes: it rarely runs on).
 */
export function someAbsAtLeast(data: FloatArray, t: number): boolean {
  for (let k = 0; k < data.length; k++) if (!(Math.abs(data[k]!) < t)) return true;
  return false;
}

/** The largest |v| in `data` (finite values), 0 when empty. */
export function maxAbs(data: FloatArray): number {
  return data instanceof Float64Array ? maxAbs64(data) : maxAbs32(data as Float32Array);
}

function maxAbs64(data: Float64Array): number {
  let m = 0;
  for (let k = 0; k < data.length; k++) m = Math.max(m, Math.abs(data[k]!));
  return m;
}

function maxAbs32(data: Float32Array): number {
  let m = 0;
  for (let k = 0; k < data.length; k++) m = Math.max(m, Math.abs(data[k]!));
  return m;
}

/** Σ_i w_i v_i (Σ_i v_i without weights), summed in index order in float64. */
export function weightedTotal(v: FloatArray, w: Float64Array | undefined): number {
  if (w) return v instanceof Float64Array ? dot64(v, w) : dot32(v as Float32Array, w);
  return v instanceof Float64Array ? sum64(v) : sum32(v as Float32Array);
}

function sum64(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s;
}

function sum32(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s;
}

function dot64(v: Float64Array, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += w[i]! * v[i]!;
  return s;
}

function dot32(v: Float32Array, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += w[i]! * v[i]!;
  return s;
}
