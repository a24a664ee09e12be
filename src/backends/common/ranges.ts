import { check } from '../../errors.js';
import type { KernelRanges } from '../types.js';

/**
 * THE rule for block-sparse ranges, shared by every backend and by the user layer (which checks a
 * KeOps `Ranges` through it, with its own array names). For nI kept rows and nJ reduced columns:
 *
 * - rowRanges, slices and colRanges are Int32Arrays; rowRanges and colRanges hold [start, end)
 *   pairs, one rowRanges pair per slices entry;
 * - every row block is inside [0, nI) (start <= end; empty blocks are allowed);
 * - row blocks may come in ANY ORDER but must be pairwise DISJOINT (a row in two blocks is
 *   rejected: backends used to disagree on which block it took);
 * - slices are non-decreasing and at most the number of column intervals;
 * - every column interval is inside [0, nJ] (start <= end); a block's intervals may overlap
 *   (a column then counts once per interval, as in KeOps).
 *
 * Rows in no block get the reduction's identity. Bad ranges are a LazyTensorError, raised before
 * any kernel (JS, native or CUDA) sees them, so kernels may trust every index.
 */
export interface RangeNames {
  /** Name of the row blocks' array in messages (kernel level: 'rowRanges'). */
  rows: string;
  slices: string;
  cols: string;
}

const KERNEL_NAMES: RangeNames = {
  rows: 'ranges.rowRanges',
  slices: 'ranges.slices',
  cols: 'ranges.colRanges',
};

/** Validates block-sparse ranges against the sizes (see the rule above); throws LazyTensorError. */
export function validateRanges(
  r: KernelRanges,
  nI: number,
  nJ: number,
  names: RangeNames = KERNEL_NAMES,
): void {
  const { rowRanges, slices, colRanges } = r;
  for (const [a, n] of [
    [rowRanges, names.rows],
    [slices, names.slices],
    [colRanges, names.cols],
  ] as const) {
    check(
      a instanceof Int32Array,
      () => `${n}: expected an Int32Array, got ${Object.prototype.toString.call(a)}`,
    );
  }
  check(
    rowRanges.length % 2 === 0,
    () => `${names.rows}: expected [nBlocks, 2] pairs, got ${rowRanges.length} values`,
  );
  check(
    colRanges.length % 2 === 0,
    () => `${names.cols}: expected [nIntervals, 2] pairs, got ${colRanges.length} values`,
  );
  const nb = rowRanges.length / 2;
  check(
    slices.length === nb,
    () => `${names.slices}: expected one entry per row block (${nb}), got ${slices.length}`,
  );
  const nr = colRanges.length / 2;
  let prevSlice = 0;
  let sorted = true;
  let prevEnd = 0;
  for (let b = 0; b < nb; b++) {
    const s = rowRanges[2 * b]!;
    const e = rowRanges[2 * b + 1]!;
    check(
      0 <= s && s <= e && e <= nI,
      () => `${names.rows}: block ${b} is [${s}, ${e}); expected 0 <= start <= end <= ${nI}`,
    );
    if (s < prevEnd) sorted = false;
    else if (e > s) prevEnd = e;
    const sl = slices[b]!;
    check(
      sl >= prevSlice && sl <= nr,
      () =>
        `${names.slices}: entry ${b} is ${sl}; expected non-decreasing values in [0, ${nr}] (the number of column intervals)`,
    );
    prevSlice = sl;
  }
  if (!sorted) checkDisjoint(rowRanges, names.rows);
  for (let k = 0; k < nr; k++) {
    const a = colRanges[2 * k]!;
    const e = colRanges[2 * k + 1]!;
    check(0 <= a && a <= e && e <= nJ, () => {
      const why = a < 0 ? 'starts before 0' : e < a ? 'ends before it starts' : `ends past the ${nJ} columns`;
      return `${names.cols}: column interval ${k} is [${a}, ${e}), expected 0 <= start <= end <= ${nJ} (column range ${k} is [${a}, ${e}) ${why})`;
    });
  }
}

/** Rejects overlapping row blocks given in any order (O(nb log nb); sorted input never gets here). */
function checkDisjoint(rowRanges: Int32Array, name: string): void {
  const order = blockOrder(rowRanges);
  let last = -1;
  for (const b of order) {
    const s = rowRanges[2 * b]!;
    const e = rowRanges[2 * b + 1]!;
    if (e <= s) continue;
    if (last >= 0) {
      const le = rowRanges[2 * last + 1]!;
      check(
        s >= le,
        () =>
          `${name}: blocks ${last} [${rowRanges[2 * last]}, ${le}) and ${b} [${s}, ${e}) overlap; row blocks may come in any order but must be disjoint`,
      );
    }
    last = b;
  }
}

/** Block indices by first row (ties: by index). */
function blockOrder(rowRanges: Int32Array): number[] {
  return Array.from({ length: rowRanges.length / 2 }, (_, b) => b).sort(
    (a, b) => rowRanges[2 * a]! - rowRanges[2 * b]! || a - b,
  );
}

/** A run of rows [start, end) that visit the column intervals of one block (-1: no block, identity). */
export interface RowSegment {
  start: number;
  end: number;
  block: number;
}

/**
 * THE segment planner: rows [0, nI) as ordered segments, each either one row block or a gap no
 * block covers (block -1). Backends derive their work units from it (JS chunk costs, CUDA block
 * table). Meant for validated ranges; for robustness it clamps blocks to [0, nI) and, when blocks
 * overlap, takes them by first row and clips each to the rows after the previous one.
 */
export function rowSegments(ranges: KernelRanges, nI: number): RowSegment[] {
  const { rowRanges } = ranges;
  const out: RowSegment[] = [];
  let next = 0;
  for (const b of blockOrder(rowRanges)) {
    const s = Math.max(next, Math.min(nI, rowRanges[2 * b]!));
    const e = Math.min(nI, rowRanges[2 * b + 1]!);
    if (e <= s) continue;
    if (s > next) out.push({ start: next, end: s, block: -1 });
    out.push({ start: s, end: e, block: b });
    next = e;
  }
  if (next < nI) out.push({ start: next, end: nI, block: -1 });
  return out;
}

/** Number of columns block b visits (the sum of its column intervals' lengths). */
export function blockColumns(ranges: KernelRanges, b: number): number {
  const { slices, colRanges } = ranges;
  let cols = 0;
  for (let r = b === 0 ? 0 : slices[b - 1]!; r < slices[b]!; r++) {
    cols += Math.max(0, colRanges[2 * r + 1]! - colRanges[2 * r]!);
  }
  return cols;
}

/** Number of (i, j) pairs a run visits: nI nJ dense, else summed over the blocks of (validated) ranges. */
export function rangedPairs(nI: number, nJ: number, ranges: KernelRanges | undefined): number {
  if (!ranges) return nI * nJ;
  const { rowRanges, slices } = ranges;
  let pairs = 0;
  for (let b = 0; b < slices.length; b++) {
    const rows = Math.max(0, Math.min(nI, rowRanges[2 * b + 1]!) - Math.max(0, rowRanges[2 * b]!));
    if (rows > 0) pairs += rows * blockColumns(ranges, b);
  }
  return pairs;
}
