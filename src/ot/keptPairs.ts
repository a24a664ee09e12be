import type { Kept } from '../lazy/keptRanges.js';
import type { Level } from './hierarchy.js';

/**
 * The kernel truncation of the multiscale solver: which cluster pairs of a level the next finer
 * level keeps (the sets and the Ranges they induce: lazy/keptRanges.ts).
 */

/** Parent index of every element of the finer level, from the coarser level's children ranges. */
function parents(children: Int32Array, n: number): Int32Array {
  const p = new Int32Array(n);
  for (let k = 0; k < children.length / 2; k++) p.fill(k, children[2 * k]!, children[2 * k + 1]!);
  return p;
}

/** A growable Int32Array (the kept columns, appended in order). */
class IntList {
  data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(2 * this.data.length);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Kernel truncation on level `u` × `v`: among the children pairs of the coarser kept pairs
 * (`up`, on the levels above; all pairs when undefined), keep (k, l) with
 * f_k + g_l > C(u_k, v_l) − t (C = |u − v|^p / p; for levels with cluster radii, the smallest
 * cost between their points, (|u_k − v_l| − r_k − r_l)₊^p / p). Also returns the number of pairs of the next
 * finer level that the kept pairs cover. One pass over the candidate pairs (the pairs this
 * level's kernel visited), typed arrays only; the output grows with the pairs kept.
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
  const cu = u.children!;
  const cv = v.children!;
  const squared = p === 2;
  const ru = u.radius;
  const rv = v.radius;
  // Column candidates of row k: the column intervals of its parent's kept pairs (children ranges).
  const pu = up ? parents(up.u.children!, K) : undefined;
  const upStart = up?.kept.start;
  const upCols = up?.kept.cols;
  const upCh = up?.v.children;
  const start = new Int32Array(K + 1);
  const cols = new IntList(up ? 2 * up.kept.cols.length : K * Math.min(L, 64));
  // Per column: the finer points it covers (the finer pairs of a kept pair are a product).
  const sizeV = new Float64Array(L);
  for (let l = 0; l < L; l++) sizeV[l] = cv[2 * l + 1]! - cv[2 * l]!;
  let finerPairs = 0;
  // Every row and every column keeps at least its best candidate pair (largest f + g − C): a
  // row or column without pairs would get an infinite softmin on the finer level.
  let rowBest = Number.NEGATIVE_INFINITY;
  let rowArg = -1;
  const colBest = new Float64Array(L).fill(Number.NEGATIVE_INFINITY);
  const colArg = new Int32Array(L).fill(-1);
  const colKept = new Uint8Array(L);
  const extra: [number, number][] = [];
  const scan = (k: number, l0: number, l1: number, fk: number, sizeU: number) => {
    const row = k * d;
    for (let l = l0; l < l1; l++) {
      let s = 0;
      const col = l * d;
      for (let c = 0; c < d; c++) {
        const z = U[row + c]! - V[col + c]!;
        s += z * z;
      }
      let cost: number;
      if (ru && rv) {
        const gap = Math.max(0, Math.sqrt(s) - ru[k]! - rv[l]!);
        cost = squared ? (gap * gap) / 2 : gap;
      } else cost = squared ? s / 2 : Math.sqrt(s);
      const gap = fk + g[l]! - cost;
      if (gap > -t) {
        cols.push(l);
        finerPairs += sizeU * sizeV[l]!;
        colKept[l] = 1;
      }
      if (gap > rowBest) {
        rowBest = gap;
        rowArg = l;
      }
      if (gap > colBest[l]!) {
        colBest[l] = gap;
        colArg[l] = k;
      }
    }
  };
  for (let k = 0; k < K; k++) {
    const fk = f[k]!;
    const sizeU = cu[2 * k + 1]! - cu[2 * k]!;
    const before = cols.length;
    rowBest = Number.NEGATIVE_INFINITY;
    rowArg = -1;
    if (!up) scan(k, 0, L, fk, sizeU);
    else {
      const P = pu![k]!;
      const e = upStart![P + 1]!;
      for (let q = upStart![P]!; q < e; q++) {
        const Q = upCols![q]!;
        scan(k, upCh![2 * Q]!, upCh![2 * Q + 1]!, fk, sizeU);
      }
    }
    if (cols.length === before && rowArg >= 0) {
      cols.push(rowArg);
      finerPairs += sizeU * sizeV[rowArg]!;
      colKept[rowArg] = 1;
    }
    start[k + 1] = cols.length;
  }
  for (let l = 0; l < L; l++) if (!colKept[l] && colArg[l]! >= 0) extra.push([colArg[l]!, l]);
  const kept = { start, cols: cols.data.slice(0, cols.length), nCols: L };
  if (extra.length === 0) return { kept, finerPairs };
  for (const [k, l] of extra) finerPairs += (cu[2 * k + 1]! - cu[2 * k]!) * sizeV[l]!;
  return { kept: withPairs(kept, extra), finerPairs };
}

/** `kept` with the (row, column) pairs `extra` added, each row's columns in increasing order. */
function withPairs(kept: Kept, extra: [number, number][]): Kept {
  const K = kept.start.length - 1;
  const add: number[][] = Array.from({ length: K }, () => []);
  for (const [k, l] of extra) add[k]!.push(l);
  const start = new Int32Array(K + 1);
  const cols = new Int32Array(kept.cols.length + extra.length);
  let q = 0;
  for (let k = 0; k < K; k++) {
    const row = Array.from(kept.cols.subarray(kept.start[k]!, kept.start[k + 1]!)).concat(add[k]!);
    if (add[k]!.length > 0) row.sort((u, v) => u - v);
    cols.set(row, q);
    q += row.length;
    start[k + 1] = q;
  }
  return { start, cols, nCols: kept.nCols };
}
