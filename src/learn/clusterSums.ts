/**
 * The update step's pass over the points: every cluster's weighted coordinate sums and mass, in
 * one fixed summation order (the same on every run, backend and thread count).
 *
 * Order: point i adds into partial table i mod PARTS (each table accumulates its points in index
 * order), and the result is (t0 + t1) + (t2 + t3). Interleaved tables break the chains of
 * read-modify-writes through memory that one table makes when nearby points share a cluster:
 * measured 0.30 ms instead of 0.40 ms per pass at N = 1e5, D = 3, K = 50 (V8, AMD EPYC).
 * The tables of one cluster are adjacent (row k·PARTS + u of table u), so that a point touches
 * one or two cache lines.
 *
 * The common case (D = 3, no weights) has one loop per float dtype: a loop that has seen both
 * Float32Array and Float64Array data reads both through polymorphic element access (about 20 %
 * slower measured), and a fit in float64 after one in float32 is the usual benchmark setting.
 */
import type { FloatArray } from '../ndarray.js';

/** Partial tables (point i adds into table i mod PARTS). */
export const PARTS = 4;

/** Scratch for `clusterSums` with K clusters of dimension d (PARTS tables of K rows of d + 1). */
export function sumsScratch(K: number, d: number): Float64Array {
  return new Float64Array(PARTS * K * (d + 1));
}

/**
 * Sets `acc` [K·(D+1)] to every cluster's weighted sums: row k holds cluster k's D sums, then its
 * mass. `t` is scratch from `sumsScratch(K, d)`; `w` undefined means all weights 1 (the same
 * result as weights of 1: a product by 1 is exact).
 */
export function clusterSums(
  data: FloatArray,
  d: number,
  w: Float64Array | undefined,
  labels: Int32Array,
  acc: Float64Array,
  t: Float64Array,
): void {
  t.fill(0);
  if (d === 3 && !w) {
    if (data instanceof Float64Array) sums3f64(data, labels, t);
    else sums3f32(data as Float32Array, labels, t);
  } else sumsAny(data, d, w, labels, t);
  combine(t, acc, d + 1);
}

/** acc[k·r + c] = (t0 + t1) + (t2 + t3) of that entry, t_u being row k·PARTS + u of t. */
function combine(t: Float64Array, acc: Float64Array, r: number): void {
  const K = acc.length / r;
  for (let k = 0; k < K; k++) {
    const b = k * PARTS * r;
    for (let c = 0; c < r; c++) {
      const q = b + c;
      acc[k * r + c] = t[q]! + t[q + r]! + (t[q + 2 * r]! + t[q + 3 * r]!);
    }
  }
}

/** Any D, weighted or not: point i into row labels[i]·PARTS + (i mod PARTS) of t. */
function sumsAny(
  data: FloatArray,
  d: number,
  w: Float64Array | undefined,
  labels: Int32Array,
  t: Float64Array,
): void {
  const r = d + 1;
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const b = (labels[i]! * PARTS + (i & (PARTS - 1))) * r;
    const j = i * d;
    if (w) {
      const wi = w[i]!;
      for (let c = 0; c < d; c++) t[b + c]! += wi * data[j + c]!;
      t[b + d]! += wi;
    } else {
      for (let c = 0; c < d; c++) t[b + c]! += data[j + c];
      t[b + d]! += 1;
    }
  }
}

// The two loops below are the same text but for the element type of `data` (see the file's
// comment): rows of 4 (3 sums and the count), the PARTS tables of a cluster in one row of 16.

function sums3f64(data: Float64Array, labels: Int32Array, t: Float64Array): void {
  const n = labels.length;
  let i = 0;
  let j = 0;
  for (; i + 3 < n; i += 4, j += 12) {
    const a = labels[i]! << 4;
    const b = (labels[i + 1]! << 4) + 4;
    const c = (labels[i + 2]! << 4) + 8;
    const e = (labels[i + 3]! << 4) + 12;
    t[a]! += data[j];
    t[a + 1]! += data[j + 1];
    t[a + 2]! += data[j + 2];
    t[a + 3]! += 1;
    t[b]! += data[j + 3];
    t[b + 1]! += data[j + 4];
    t[b + 2]! += data[j + 5];
    t[b + 3]! += 1;
    t[c]! += data[j + 6];
    t[c + 1]! += data[j + 7];
    t[c + 2]! += data[j + 8];
    t[c + 3]! += 1;
    t[e]! += data[j + 9];
    t[e + 1]! += data[j + 10];
    t[e + 2]! += data[j + 11];
    t[e + 3]! += 1;
  }
  for (; i < n; i++, j += 3) {
    const a = (labels[i]! << 4) + ((i & 3) << 2);
    t[a]! += data[j];
    t[a + 1]! += data[j + 1];
    t[a + 2]! += data[j + 2];
    t[a + 3]! += 1;
  }
}

function sums3f32(data: Float32Array, labels: Int32Array, t: Float64Array): void {
  const n = labels.length;
  let i = 0;
  let j = 0;
  for (; i + 3 < n; i += 4, j += 12) {
    const a = labels[i]! << 4;
    const b = (labels[i + 1]! << 4) + 4;
    const c = (labels[i + 2]! << 4) + 8;
    const e = (labels[i + 3]! << 4) + 12;
    t[a]! += data[j];
    t[a + 1]! += data[j + 1];
    t[a + 2]! += data[j + 2];
    t[a + 3]! += 1;
    t[b]! += data[j + 3];
    t[b + 1]! += data[j + 4];
    t[b + 2]! += data[j + 5];
    t[b + 3]! += 1;
    t[c]! += data[j + 6];
    t[c + 1]! += data[j + 7];
    t[c + 2]! += data[j + 8];
    t[c + 3]! += 1;
    t[e]! += data[j + 9];
    t[e + 1]! += data[j + 10];
    t[e + 2]! += data[j + 11];
    t[e + 3]! += 1;
  }
  for (; i < n; i++, j += 3) {
    const a = (labels[i]! << 4) + ((i & 3) << 2);
    t[a]! += data[j];
    t[a + 1]! += data[j + 1];
    t[a + 2]! += data[j + 2];
    t[a + 3]! += 1;
  }
}
