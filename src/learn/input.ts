import { check } from '../errors.js';
import { toFloatArray } from '../lazy/data.js';
import type { ReduceOptions } from '../lazy/index.js';
import { allocFloat, type DType, dtypeOf, type FloatArray, type NDArray } from '../ndarray.js';
import { firstNonFinite } from './floatScans.js';

/** Validated points: row-major [n, d] data of one float dtype, every value finite. */
export interface Points {
  array: NDArray<FloatArray>;
  data: FloatArray;
  n: number;
  d: number;
  dtype: DType;
}

/** Checks `x` is [N, D] (N ≥ 1, D ≥ 1) with finite values; `what` names it in messages. */
export function points(x: NDArray | number[][], what: string): Points {
  const a = toFloatArray(x, what, 2);
  check(a.shape.length === 2, () => `${what}: expected points of shape [N, D], got [${a.shape.join(', ')}]`);
  const [n, d] = a.shape as [number, number];
  check(n >= 1 && d >= 1, () => `${what}: expected at least one point of dimension >= 1, got [${n}, ${d}]`);
  const data = a.data;
  const bad = firstNonFinite(data);
  check(bad < 0, () => `${what}: point ${Math.floor(bad / d)} has a non-finite coordinate (${data[bad]})`);
  return { array: a, data, n, d, dtype: dtypeOf(data) };
}

/** Largest finite value of each float dtype. */
const DTYPE_MAX: Record<DType, number> = { float32: 3.4028234663852886e38, float64: Number.MAX_VALUE };

/**
 * Checks that squared distances between points of `a` and `b` (of one dtype and dimension) are
 * finite in their dtype, which every K-NN and K-means step computes first: else distances are
 * Infinity, neighbours come in no order and the inertia is Infinity. O((N + M)·D).
 */
export function checkSquaredDistances(what: string, a: Points, b: Points = a): void {
  const spans: number[] = [];
  let largest = 0;
  for (let k = 0; k < a.d; k++) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const c of a === b ? [a] : [a, b]) {
      for (let r = 0; r < c.n; r++) {
        const v = c.data[r * c.d + k]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    spans.push(hi - lo);
    largest = Math.max(largest, Math.abs(lo), Math.abs(hi));
  }
  const span = Math.hypot(...spans);
  const max = DTYPE_MAX[a.dtype];
  check(
    span * span <= max,
    () =>
      `${what}: the points span ${span.toPrecision(4)} (the diagonal of their bounding box, coordinates up to ` +
      `${largest.toPrecision(4)}): squared distances overflow ${a.dtype} (largest ${max.toPrecision(4)}); ` +
      `rescale the coordinates${a.dtype === 'float32' ? ' or use float64 data' : ''}`,
  );
}

/** Checks `x` holds points of dimension `d` (as `points`), e.g. queries of a fitted model. */
export function pointsOfDim(x: NDArray | number[][], d: number, what: string): Points {
  const p = points(x, what);
  check(p.d === d, () => `${what}: expected points of dimension ${d}, got dimension ${p.d}`);
  return p;
}

/** Checks an integer count in [lo, hi]. */
export function checkCount(v: unknown, name: string, lo: number, hi: number, why = ''): number {
  check(
    typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi,
    () => `${name} must be an integer in [${lo}, ${hi}]${why}, got ${String(v)}`,
  );
  return v;
}

/** Checks a finite number ≥ 0 (tolerances, regularisations). */
export function checkNonNegative(v: unknown, name: string): number {
  check(
    typeof v === 'number' && Number.isFinite(v) && v >= 0,
    () => `${name} must be a finite number >= 0, got ${String(v)}`,
  );
  return v;
}

/** Sample weights: n finite values ≥ 0 with a positive sum; all ones when not given. */
export function sampleWeights(w: unknown, n: number, what: string): Float64Array {
  if (w === undefined) return new Float64Array(n).fill(1);
  check(
    ArrayBuffer.isView(w) && !(w instanceof DataView) && (w as Float64Array).length === n,
    () =>
      `${what}: expected ${n} weights (one per point) in a typed array, got ${ArrayBuffer.isView(w) ? (w as Float64Array).length : typeof w}`,
  );
  const out = Float64Array.from(w as Float64Array);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = out[i]!;
    check(Number.isFinite(v) && v >= 0, () => `${what}: weight ${i} must be finite and >= 0, got ${v}`);
    total += v;
  }
  check(total > 0, () => `${what}: the weights sum to 0; at least one point needs a positive weight`);
  return out;
}

/** Class labels: n integers in [0, 2^31); returns them and the class count C = max + 1. */
export function classLabels(labels: unknown, n: number, what: string): { labels: Int32Array; C: number } {
  check(
    labels instanceof Int32Array,
    () => `${what}: expected an Int32Array of labels, got ${labels === null ? 'null' : typeof labels}`,
  );
  check(labels.length === n, () => `${what}: expected ${n} labels (one per point), got ${labels.length}`);
  let C = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    check(l >= 0, () => `${what}: label ${i} is ${l}; labels must be >= 0`);
    if (l + 1 > C) C = l + 1;
  }
  return { labels, C };
}

/** Engine options forwarded to reductions: only the backend. */
export function engine(opts: { backend?: string } | undefined): ReduceOptions {
  return opts?.backend === undefined ? {} : { backend: opts.backend };
}

/** Row-major values as an NDArray [rows, cols] in the given dtype. */
export function matrix(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  dtype: DType,
): NDArray<FloatArray> {
  const data = allocFloat(dtype, rows * cols);
  for (let k = 0; k < rows * cols; k++) data[k] = values[k]!;
  return { data, shape: [rows, cols] };
}

/** Checks the options argument is an object (or absent). */
export function options<T extends object>(o: T | undefined, what: string): Partial<T> {
  check(
    o === undefined || (typeof o === 'object' && o !== null),
    () => `${what}: options must be an object, got ${o === null ? 'null' : typeof o}`,
  );
  return o ?? {};
}
