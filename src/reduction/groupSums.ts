/**
 * Group sums of an arg reduction (the `groupSums` option of ArgMin, ArgMax, Min_ArgMin and
 * Max_ArgMax over j): with index k_i the column selected for row i, row k of the result
 * [nJ × (D+1)] holds Σ_{i: k_i = k} w_i x_i (D float64 sums), then Σ_{i: k_i = k} w_i (the
 * mass; w_i = 1 without weights). Rows whose index is −1 (no column) add nothing. This is the
 * update step of k-means fused with its assignment.
 *
 * THE summation order, the same on every backend and for any thread count (bitwise):
 * - the rows are cut into blocks of `groupBlockRows(nJ)` rows (a function of nJ only);
 * - within a block, row i adds into partial table i mod GROUP_PARTS (each table starting from
 *   +0 and adding its rows in increasing order; a term is x (float64, exact for float32 data)
 *   and 1 without weights, the float64 products w·x and w with them);
 * - the block's value is (t0 + t1) + (t2 + t3);
 * - the result starts from +0 and adds the blocks' values in block order.
 * Interleaved tables break the chains of read-modify-writes through memory that one table makes
 * when nearby rows share a group; blocks let the native engine sum them in parallel.
 * `groupSumsHost` here is the JavaScript implementation (the post-pass of the js, wasm and cuda
 * backends, and the sums of k-means steps that have no assignment to fuse with); the native
 * backend emits the same order in C++ (backends/native/groupSums.ts).
 */
import { check } from '../errors.js';
import type { FloatArray } from '../ndarray.js';

/** Partial tables per block (row i adds into table i mod GROUP_PARTS). */
export const GROUP_PARTS = 4;
/** Fewest rows per block; blocks grow by powers of 2 so that a block holds at least 4 nJ rows. */
export const GROUP_BLOCK_MIN = 8192;

/**
 * Rows per block for nJ groups: GROUP_BLOCK_MIN · 2^s, the smallest with at least 4 nJ rows, so
 * that zeroing and combining a block's tables (4 nJ (D+1) values) costs no more than its rows,
 * and all blocks' tables together hold about N (D+1) + 4 nJ (D+1) values.
 */
export function groupBlockRows(nJ: number): number {
  let b = GROUP_BLOCK_MIN;
  while (b < GROUP_PARTS * nJ) b *= 2;
  return b;
}

/** The data of one group-sum pass: values [nI·dim], weights [nI] or none, indices [nI]. */
export interface GroupSumsInput {
  values: FloatArray;
  dim: number;
  weights?: Float64Array;
  indices: Int32Array;
}

/** Checks the lengths of a pass's arrays for nI rows and nJ groups into `out`. */
export function checkGroupSums(g: GroupSumsInput, nI: number, nJ: number, out: Float64Array): void {
  const { values, dim, weights, indices } = g;
  check(Number.isInteger(dim) && dim >= 1, () => `groupSums: the values' dimension must be >= 1, got ${dim}`);
  check(
    values.length === nI * dim,
    () => `groupSums: values must hold ${nI} rows of ${dim} (${nI * dim} numbers), got ${values.length}`,
  );
  check(
    weights === undefined || weights.length === nI,
    () => `groupSums: weights must hold one number per row (${nI}), got ${weights?.length}`,
  );
  check(indices.length === nI, () => `groupSums: expected ${nI} indices, got ${indices.length}`);
  check(
    out.length === nJ * (dim + 1),
    () =>
      `groupSums: the output must hold ${nJ} rows of ${dim + 1} (${nJ * (dim + 1)} numbers), got ${out.length}`,
  );
}

/**
 * Sets `out` [nJ·(D+1)] to the group sums of `g` in the order of this file's comment. `scratch`
 * (optional, reused between calls) must hold at least GROUP_PARTS·nJ·(D+1) values.
 */
export function groupSumsHost(
  g: GroupSumsInput,
  nJ: number,
  out: Float64Array,
  scratch?: Float64Array,
): void {
  const { values, dim: d, weights, indices } = g;
  const r = d + 1;
  const n = indices.length;
  const size = GROUP_PARTS * nJ * r;
  const t = scratch && scratch.length >= size ? scratch : new Float64Array(size);
  const B = groupBlockRows(nJ);
  out.fill(0);
  for (let s = 0; s < n; s += B) {
    const e = Math.min(n, s + B);
    t.fill(0, 0, size);
    if (d === 3 && !weights) {
      if (values instanceof Float64Array) block3f64(values, indices, t, s, e);
      else block3f32(values as Float32Array, indices, t, s, e);
    } else blockAny(values, d, weights, indices, t, s, e);
    addBlock(t, out, r);
  }
}

/** out[k·r + c] += (t0 + t1) + (t2 + t3) of that entry, t_u being row k·GROUP_PARTS + u of t. */
function addBlock(t: Float64Array, out: Float64Array, r: number): void {
  const K = out.length / r;
  for (let k = 0; k < K; k++) {
    const b = k * GROUP_PARTS * r;
    for (let c = 0; c < r; c++) {
      const q = b + c;
      out[k * r + c]! += t[q]! + t[q + r]! + (t[q + 2 * r]! + t[q + 3 * r]!);
    }
  }
}

/** Any D, weighted or not: row i of [s, e) into row indices[i]·GROUP_PARTS + (i mod GROUP_PARTS) of t. */
function blockAny(
  data: FloatArray,
  d: number,
  w: Float64Array | undefined,
  idx: Int32Array,
  t: Float64Array,
  s: number,
  e: number,
): void {
  const r = d + 1;
  for (let i = s; i < e; i++) {
    const k = idx[i]!;
    if (k < 0) continue;
    const b = (k * GROUP_PARTS + (i & (GROUP_PARTS - 1))) * r;
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

// The two loops below (D = 3, no weights: k-means' common case) are the same text but for the
// element type of `data`: a loop that has seen both Float32Array and Float64Array data reads both
// through polymorphic element access (about 20 % slower measured). Rows of 4 (3 sums and the
// count), the GROUP_PARTS tables of a group in one row of 16; blocks start at multiples of 4, so
// the 4 rows of a step go to tables 0..3. A step with a row of index −1 goes row by row.

function block3f64(data: Float64Array, idx: Int32Array, t: Float64Array, s: number, e: number): void {
  let i = s;
  let j = 3 * s;
  for (; i + 3 < e; i += 4, j += 12) {
    const l0 = idx[i]!;
    const l1 = idx[i + 1]!;
    const l2 = idx[i + 2]!;
    const l3 = idx[i + 3]!;
    if ((l0 | l1 | l2 | l3) < 0) {
      blockAny(data, 3, undefined, idx, t, i, i + 4);
      continue;
    }
    const a = l0 << 4;
    const b = (l1 << 4) + 4;
    const c = (l2 << 4) + 8;
    const f = (l3 << 4) + 12;
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
    t[f]! += data[j + 9];
    t[f + 1]! += data[j + 10];
    t[f + 2]! += data[j + 11];
    t[f + 3]! += 1;
  }
  if (i < e) blockAny(data, 3, undefined, idx, t, i, e);
}

function block3f32(data: Float32Array, idx: Int32Array, t: Float64Array, s: number, e: number): void {
  let i = s;
  let j = 3 * s;
  for (; i + 3 < e; i += 4, j += 12) {
    const l0 = idx[i]!;
    const l1 = idx[i + 1]!;
    const l2 = idx[i + 2]!;
    const l3 = idx[i + 3]!;
    if ((l0 | l1 | l2 | l3) < 0) {
      blockAny(data, 3, undefined, idx, t, i, i + 4);
      continue;
    }
    const a = l0 << 4;
    const b = (l1 << 4) + 4;
    const c = (l2 << 4) + 8;
    const f = (l3 << 4) + 12;
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
    t[f]! += data[j + 9];
    t[f + 1]! += data[j + 10];
    t[f + 2]! += data[j + 11];
    t[f + 3]! += 1;
  }
  if (i < e) blockAny(data, 3, undefined, idx, t, i, e);
}
