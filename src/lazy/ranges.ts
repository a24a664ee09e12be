import { validateRanges } from '../backends/common/ranges.js';
import type { KernelRanges } from '../backends/types.js';
import { check } from '../errors.js';

/**
 * KeOps' block-sparse layout. For a reduction over j: row block b covers rows
 * [ranges_i[b,0], ranges_i[b,1]) and visits the column intervals redranges_j[r] for r in
 * [slices_i[b-1], slices_i[b]) (slices_i[-1] = 0). The last three arrays are the transpose, used by
 * reductions over i. Arrays are int32, `ranges_*` and `redranges_*` flattened [nBlocks, 2].
 */
export interface Ranges {
  ranges_i: Int32Array;
  slices_i: Int32Array;
  redranges_j: Int32Array;
  ranges_j: Int32Array;
  slices_j: Int32Array;
  redranges_i: Int32Array;
}

/**
 * The ranges of the transposed problem (rows and columns exchanged): the two halves swap. A pair
 * (u, v) restricted by `r` and the pair (v, u) restricted by `transposeRanges(r)` keep the same
 * (u_i, v_j) interactions.
 */
export function transposeRanges(r: Ranges): Ranges {
  check(
    typeof r === 'object' && r !== null,
    () =>
      `transposeRanges: expected a Ranges object (ranges_i, slices_i, redranges_j, ranges_j, slices_j, redranges_i), got ${r === null ? 'null' : typeof r}`,
  );
  return {
    ranges_i: r.ranges_j,
    slices_i: r.slices_j,
    redranges_j: r.redranges_i,
    ranges_j: r.ranges_i,
    slices_j: r.slices_i,
    redranges_i: r.redranges_j,
  };
}

/**
 * Validates the half of a Ranges used by a reduction over `axis` (the one rule of every backend:
 * src/backends/common/ranges.ts; row blocks in any order, disjoint) and returns it in the kernel's
 * (reduction over j) orientation. nRows/nCols are the sizes of the kept and reduced index.
 */
export function kernelRanges(r: Ranges, axis: 'i' | 'j', nRows: number, nCols: number): KernelRanges {
  const [rowRanges, slices, colRanges, names] =
    axis === 'j'
      ? [r.ranges_i, r.slices_i, r.redranges_j, ['ranges_i', 'slices_i', 'redranges_j']]
      : [r.ranges_j, r.slices_j, r.redranges_i, ['ranges_j', 'slices_j', 'redranges_i']];
  const kr = { rowRanges, slices, colRanges };
  validateRanges(kr, nRows, nCols, {
    rows: `ranges.${names[0]}`,
    slices: `ranges.${names[1]}`,
    cols: `ranges.${names[2]}`,
  });
  return kr;
}

/** Block-diagonal ranges for B batches of nRows rows and nCols columns (in kernel orientation). */
export function blockDiagonalRanges(B: number, nRows: number, nCols: number): KernelRanges {
  const rowRanges = new Int32Array(2 * B);
  const slices = new Int32Array(B);
  const colRanges = new Int32Array(2 * B);
  for (let b = 0; b < B; b++) {
    rowRanges[2 * b] = b * nRows;
    rowRanges[2 * b + 1] = (b + 1) * nRows;
    slices[b] = b + 1;
    colRanges[2 * b] = b * nCols;
    colRanges[2 * b + 1] = (b + 1) * nCols;
  }
  return { rowRanges, slices, colRanges };
}
