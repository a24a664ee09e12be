import type { Ranges } from '../lazy/ranges.js';
import type { Level } from './hierarchy.js';

/**
 * Sparse sets of kept cluster pairs (compressed rows: the columns kept for row k are
 * cols[start[k]..start[k+1]), increasing) and the block-sparse Ranges they induce on the next finer
 * level. Built from the kept pairs of the coarser level, so that the work stays proportional to
 * the pairs kept, never to all the cluster pairs.
 */
export interface Kept {
  start: Int32Array;
  cols: Int32Array;
  nCols: number;
}

/** Every pair of a K × L problem (the dense coarsest level). */
export function allPairs(K: number, L: number): Kept {
  const start = Int32Array.from({ length: K + 1 }, (_, k) => k * L);
  const cols = new Int32Array(K * L);
  for (let k = 0; k < K; k++) for (let l = 0; l < L; l++) cols[k * L + l] = l;
  return { start, cols, nCols: L };
}

/** The transposed set (rows and columns exchanged). */
export function transposeKept(s: Kept): Kept {
  const K = s.start.length - 1;
  const start = new Int32Array(s.nCols + 1);
  for (const l of s.cols) start[l + 1]!++;
  for (let l = 0; l < s.nCols; l++) start[l + 1]! += start[l];
  const fill = start.slice(0, s.nCols);
  const cols = new Int32Array(s.cols.length);
  for (let k = 0; k < K; k++)
    for (let t = s.start[k]!; t < s.start[k + 1]!; t++) cols[fill[s.cols[t]!]!++] = k;
  return { start, cols, nCols: K };
}

/** One half of a Ranges: rows = rowR blocks, columns = colR blocks of the kept pairs, adjacent merged. */
function half(rowR: Int32Array, colR: Int32Array, s: Kept) {
  const K = s.start.length - 1;
  const slices = new Int32Array(K);
  const red: number[] = [];
  for (let k = 0; k < K; k++) {
    let open = -1;
    let close = -1;
    for (let t = s.start[k]!; t < s.start[k + 1]!; t++) {
      const l = s.cols[t]!;
      const a = colR[2 * l]!;
      const b = colR[2 * l + 1]!;
      if (b <= a) continue;
      if (open >= 0 && a === close) close = b;
      else {
        if (open >= 0) red.push(open, close);
        open = a;
        close = b;
      }
    }
    if (open >= 0) red.push(open, close);
    slices[k] = red.length / 2;
  }
  return { ranges: rowR, slices, red: Int32Array.from(red) };
}

/** Ranges of the pair (rows, cols) that keeps the blocks rowR[k] × colR[l] of the kept pairs. */
export function keptRanges(rowR: Int32Array, colR: Int32Array, s: Kept, t: Kept = transposeKept(s)): Ranges {
  const a = half(rowR, colR, s);
  const b = half(colR, rowR, t);
  return {
    ranges_i: a.ranges,
    slices_i: a.slices,
    redranges_j: a.red,
    ranges_j: b.ranges,
    slices_j: b.slices,
    redranges_i: b.red,
  };
}

/** [C, 2] ranges of single elements 0..C-1. */
export function unitRanges(C: number): Int32Array {
  const r = new Int32Array(2 * C);
  for (let k = 0; k < C; k++) {
    r[2 * k] = k;
    r[2 * k + 1] = k + 1;
  }
  return r;
}

/** Parent index of every element of the finer level, from the coarser level's children ranges. */
function parents(children: Int32Array, n: number): Int32Array {
  const p = new Int32Array(n);
  for (let k = 0; k < children.length / 2; k++) p.fill(k, children[2 * k]!, children[2 * k + 1]!);
  return p;
}

/**
 * Kernel truncation on level `u` × `v`: among the children pairs of the coarser kept pairs
 * (`parent`, on the levels above; all pairs when undefined), keep (k, l) with
 * f_k + g_l > C(u_k, v_l) − t (C = |u − v|^p / p). Also returns the number of pairs of the next
 * finer level that the kept pairs cover.
 */
export function truncate(
  u: Level,
  v: Level,
  up: { u: Level; v: Level; kept: Kept } | undefined,
  f: Float64Array,
  g: Float64Array,
  p: number,
  t: number,
): { kept: Kept; finerPairs: number } {
  const d = u.cloud.d;
  const K = u.cloud.n;
  const L = v.cloud.n;
  const U = u.cloud.data;
  const V = v.cloud.data;
  const pu = up ? parents(up.u.children!, K) : undefined;
  const start = new Int32Array(K + 1);
  const cols: number[] = [];
  let finerPairs = 0;
  const test = (k: number, l: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (U[k * d + c]! - V[l * d + c]!) ** 2;
    const cost = p === 2 ? s / 2 : Math.sqrt(s);
    if (f[k]! + g[l]! > cost - t) {
      cols.push(l);
      const cu = u.children!;
      const cv = v.children!;
      finerPairs += (cu[2 * k + 1]! - cu[2 * k]!) * (cv[2 * l + 1]! - cv[2 * l]!);
    }
  };
  for (let k = 0; k < K; k++) {
    if (!up) for (let l = 0; l < L; l++) test(k, l);
    else {
      const P = pu![k]!;
      const ch = up.v.children!;
      for (let q = up.kept.start[P]!; q < up.kept.start[P + 1]!; q++) {
        const Q = up.kept.cols[q]!;
        for (let l = ch[2 * Q]!; l < ch[2 * Q + 1]!; l++) test(k, l);
      }
    }
    start[k + 1] = cols.length;
  }
  return { kept: { start, cols: Int32Array.from(cols), nCols: L }, finerPairs };
}
