import type { Ranges } from './ranges.js';

/**
 * Sparse sets of kept cluster pairs (compressed rows: the columns kept for row k are
 * cols[start[k]..start[k+1]), increasing) and the block-sparse Ranges they induce on the points:
 * the one place where kept cluster pairs become Ranges (rangesFromMask, IVF, multiscale OT). The
 * work stays proportional to the pairs kept, never to all the cluster pairs.
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
  const sc = s.cols;
  for (let t = 0; t < sc.length; t++) start[sc[t]! + 1]!++;
  for (let l = 0; l < s.nCols; l++) start[l + 1]! += start[l];
  const fill = start.slice(0, s.nCols);
  const cols = new Int32Array(sc.length);
  for (let k = 0; k < K; k++) {
    const e = s.start[k + 1]!;
    for (let t = s.start[k]!; t < e; t++) cols[fill[sc[t]!]!++] = k;
  }
  return { start, cols, nCols: K };
}

/** One half of a Ranges: rows = rowR blocks, columns = colR blocks of the kept pairs, adjacent merged. */
function half(rowR: Int32Array, colR: Int32Array, s: Kept) {
  const K = s.start.length - 1;
  const slices = new Int32Array(K);
  // At most one interval per kept pair: fill, then trim.
  const red = new Int32Array(2 * s.cols.length);
  let n = 0;
  for (let k = 0; k < K; k++) {
    let open = -1;
    let close = -1;
    const e = s.start[k + 1]!;
    for (let t = s.start[k]!; t < e; t++) {
      const l = s.cols[t]!;
      const a = colR[2 * l]!;
      const b = colR[2 * l + 1]!;
      if (b <= a) continue;
      if (open >= 0 && a === close) close = b;
      else {
        if (open >= 0) {
          red[n++] = open;
          red[n++] = close;
        }
        open = a;
        close = b;
      }
    }
    if (open >= 0) {
      red[n++] = open;
      red[n++] = close;
    }
    slices[k] = n / 2;
  }
  return { ranges: rowR, slices, red: red.slice(0, n) };
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

/** The kept pairs of a dense Ci × Cj mask (row-major: keep[r * Cj + c]). */
export function keptFromMask(keep: ArrayLike<boolean | number>, Ci: number, Cj: number): Kept {
  const start = new Int32Array(Ci + 1);
  let n = 0;
  for (let t = 0; t < Ci * Cj; t++) if (keep[t]) n++;
  const cols = new Int32Array(n);
  n = 0;
  for (let r = 0; r < Ci; r++) {
    for (let c = 0; c < Cj; c++) if (keep[r * Cj + c]) cols[n++] = c;
    start[r + 1] = n;
  }
  return { start, cols, nCols: Cj };
}
