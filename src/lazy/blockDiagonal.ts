import { isDeviceArray } from '../backends/cuda/device-array.js';
import { check } from '../errors.js';
import { type Cat, isVar, mapDag, type Node, varCat, variablesOf } from '../formula/node.js';
import { op } from '../formula/opRegistry.js';
import { Var } from '../formula/ops/leaves.js';
import { allocFloat, type DType, type FloatArray, type NDArray, sizeOf } from '../ndarray.js';
import type { ReductionKind } from '../reduction/index.js';
import { asDtype, commonDtype, type InputArray } from './data.js';
import type { LazyTensor } from './lazytensor.js';
import { kernelRanges, type Ranges } from './ranges.js';
import { checkNonEmpty, type ReduceOptions, reduce } from './reduce.js';
import { TensorCore } from './tensorCore.js';

/**
 * One reduction of a block-diagonal batch: its formula (and weight, for the weighted kinds) over
 * its own data, optionally restricted to block-sparse ranges (KeOps layout, in the block's own
 * row and column numbering; unbatched data only).
 */
export interface DiagonalBlock {
  formula: LazyTensor;
  weight?: LazyTensor;
  ranges?: Ranges;
}

/** Result of one block: values [..., n, outDim] and/or indices [..., n, outIdxDim] (local to the block). */
export interface DiagonalBlockResult {
  values?: NDArray<FloatArray>;
  indices?: NDArray<Int32Array>;
}

/** Options of `reduceBlockDiagonal`: the reduction shared by every block. */
export interface BlockDiagonalOptions extends Omit<ReduceOptions, 'ranges'> {
  /** K of the K-min kinds. */
  k?: number;
}

/** A block's variables in structural order, with their data and sizes. */
interface BlockData {
  formula: Node;
  weight?: Node;
  arrays: NDArray<FloatArray>[];
  batch: number[];
  B: number;
  nI: number;
  nJ: number;
  ranges?: Ranges;
}

/**
 * Runs several reductions that share one formula structure (equal up to the renaming of their
 * variables) but have their own data and sizes as ONE engine call: the i-indexed data of the
 * blocks stacked, the j-indexed data stacked, and block-diagonal ranges so that block k's rows
 * only meet block k's columns (or the kept part of its own `ranges`). Batched blocks contribute
 * one diagonal block per batch. Parameters (Pm) must hold the same values in every block.
 * Returns one result per block, in order. The per-call overhead (checks, thread wake-up, kernel
 * launch) is paid once, and small reductions fill the threads together.
 */
export function reduceBlockDiagonal(
  blocks: readonly DiagonalBlock[],
  kind: ReductionKind,
  axis: 'i' | 'j',
  opts: BlockDiagonalOptions = {},
): DiagonalBlockResult[] {
  check(
    Array.isArray(blocks),
    () =>
      `reduceBlockDiagonal: expected an array of blocks { formula, weight?, ranges? }, got ${blocks === null ? 'null' : typeof blocks}`,
  );
  check(blocks.length > 0, 'reduceBlockDiagonal: expected at least one block, got none');
  check(
    axis === 'i' || axis === 'j',
    () => `reduceBlockDiagonal: axis must be 'i' or 'j', got ${String(axis)}`,
  );
  const parsed = blocks.map((b, k) => readBlock(b, k));
  const first = parsed[0]!;
  parsed.forEach((p, k) => {
    check(
      p.formula === first.formula && p.weight === first.weight,
      () =>
        `reduceBlockDiagonal: block ${k} has another formula structure than block 0 ` +
        '(every block must build the same formula, only the data may differ)',
    );
  });
  const dtype = commonDtype(parsed.flatMap((p) => p.arrays));
  const vars = variablesOf(first.weight ? [first.formula, first.weight] : first.formula);
  const data = new Map<Node, InputArray>();
  vars.forEach((v, t) => {
    const cat = varCat(v);
    if (cat === 'p') {
      const ref = first.arrays[t]!;
      parsed.forEach((p, k) => {
        const a = p.arrays[t]!;
        check(
          a.shape.length === 1 && a.data.every((x, r) => x === ref.data[r]),
          () =>
            `reduceBlockDiagonal: parameter #${t} differs between block 0 and block ${k} ` +
            '(parameters must be equal and unbatched; give per-block values as Vi/Vj data)',
        );
      });
      data.set(v, { data: asDtype(ref.data, dtype), shape: [v.dim] });
      return;
    }
    data.set(v, { data: stack(parsed, t, dtype), shape: [total(parsed, cat), v.dim] });
  });
  const [rowCat, colCat]: Cat[] = axis === 'j' ? ['i', 'j'] : ['j', 'i'];
  for (const p of parsed) checkNonEmpty(kind, size(p, colCat), axis);
  const { k, ...reduceOpts } = opts;
  const res = reduce({
    formula: first.formula,
    weight: first.weight,
    kind,
    k,
    axis,
    data,
    opts: { ...reduceOpts, ranges: diagonalRanges(parsed) },
  });
  return split(parsed, res.values, res.indices, rowCat, colCat);
}

/** A formula (and weight) with its variables renamed 0, 1, ... in structural order. */
interface Canonical {
  /** The original variables, in structural order. */
  vars: Node[];
  formula: Node;
  weight?: Node;
}

const canonicalUnweighted = new WeakMap<Node, Canonical>();
const canonicalWeighted = new WeakMap<Node, WeakMap<Node, Canonical>>();

/** The canonical form of (formula, weight), memoised on the (hash-consed) nodes. */
function canonical(formula: Node, weight: Node | undefined): Canonical {
  let byWeight: WeakMap<Node, Canonical> | undefined;
  if (weight) {
    byWeight = canonicalWeighted.get(formula);
    if (!byWeight) {
      byWeight = new WeakMap();
      canonicalWeighted.set(formula, byWeight);
    }
  }
  const hit = weight ? byWeight!.get(weight) : canonicalUnweighted.get(formula);
  if (hit) return hit;
  const vars = variablesOf(weight ? [formula, weight] : formula);
  const names = new Map<Node, Node>(vars.map((v, t) => [v, Var(t, v.dim, varCat(v))]));
  const rename = (n: Node) =>
    mapDag(
      n,
      (x) => (isVar(x) ? names.get(x) : undefined),
      (name, args, params) => op(name, args, params),
    );
  const c: Canonical = { vars, formula: rename(formula), weight: weight ? rename(weight) : undefined };
  if (weight) byWeight!.set(weight, c);
  else canonicalUnweighted.set(formula, c);
  return c;
}

/** Canonicalises a block's variables (structural order) and checks its data. */
function readBlock(b: DiagonalBlock, k: number): BlockData {
  const what = `reduceBlockDiagonal: block ${k}`;
  check(
    typeof b === 'object' && b !== null && b.formula instanceof TensorCore,
    () =>
      `${what}: expected { formula: LazyTensor, weight?, ranges? }, got ${b === null ? 'null' : typeof b === 'object' ? `formula ${typeof b.formula}` : typeof b}`,
  );
  check(
    b.weight === undefined || b.weight instanceof TensorCore,
    () => `${what}: the weight must be a LazyTensor, got ${typeof b.weight}`,
  );
  const canon = canonical(b.formula.formula, b.weight?.formula);
  const vars = canon.vars;
  const arrays: NDArray<FloatArray>[] = [];
  const sizes: Record<Cat, number | undefined> = { i: undefined, j: undefined, p: undefined };
  let batch: number[] | undefined;
  for (const v of vars) {
    const a = b.formula.vars.get(v) ?? b.weight?.vars.get(v);
    check(a !== undefined, () => `${what}: no data for one of its variables`);
    check(!isDeviceArray(a), () => `${what}: device arrays are not supported (give host arrays)`);
    const host = a as NDArray<FloatArray>;
    const cat = varCat(v);
    if (cat !== 'p') {
      const n = host.shape[host.shape.length - 2]!;
      const bs = host.shape.slice(0, -2);
      check(
        sizes[cat] === undefined || sizes[cat] === n,
        () =>
          `${what}: all ${cat}-indexed variables must have the same number of rows, got ${sizes[cat]} and ${n}`,
      );
      check(
        batch === undefined || bs.join(',') === batch.join(','),
        () =>
          `${what}: all variables must have the same batch shape, got [${batch!.join(', ')}] and [${bs.join(', ')}]`,
      );
      sizes[cat] = n;
      batch = bs;
    }
    arrays.push(host);
  }
  check(
    sizes.i !== undefined && sizes.j !== undefined,
    () => `${what}: the formula must use at least one i-indexed and one j-indexed variable`,
  );
  const B = sizeOf(batch ?? []);
  check(
    b.ranges === undefined || (batch ?? []).length === 0,
    () => `${what}: ranges cannot be combined with batch dimensions (give unbatched data)`,
  );
  if (b.ranges) {
    kernelRanges(b.ranges, 'j', sizes.i!, sizes.j!);
    kernelRanges(b.ranges, 'i', sizes.j!, sizes.i!);
  }
  return {
    formula: canon.formula,
    weight: canon.weight,
    arrays,
    batch: batch ?? [],
    B,
    nI: sizes.i!,
    nJ: sizes.j!,
    ranges: b.ranges,
  };
}

function size(p: BlockData, cat: Cat): number {
  return cat === 'i' ? p.nI : p.nJ;
}

function total(blocks: readonly BlockData[], cat: Cat): number {
  return blocks.reduce((s, p) => s + p.B * size(p, cat), 0);
}

/** Variable t of every block, stacked along the rows. */
function stack(blocks: readonly BlockData[], t: number, dtype: DType): FloatArray {
  const len = blocks.reduce((s, p) => s + p.arrays[t]!.data.length, 0);
  const out = allocFloat(dtype, len);
  let off = 0;
  for (const p of blocks) {
    const a = p.arrays[t]!.data;
    out.set(a, off);
    off += a.length;
  }
  return out;
}

/** The number of column intervals the row blocks use (validated slices are non-decreasing). */
function lastSlice(slices: Int32Array): number {
  return slices.length === 0 ? 0 : slices[slices.length - 1]!;
}

/** One half of a Ranges (rows, slices, reduced intervals), filled into preallocated typed arrays. */
class HalfRanges {
  readonly rows: Int32Array;
  readonly slices: Int32Array;
  readonly intervals: Int32Array;
  private nb = 0;
  private ni = 0;

  constructor(blocks: number, intervals: number) {
    this.rows = new Int32Array(2 * blocks);
    this.slices = new Int32Array(blocks);
    this.intervals = new Int32Array(2 * intervals);
  }

  /** A row block [r0, r1) that visits one column interval [c0, c1). */
  add(r0: number, r1: number, c0: number, c1: number): void {
    this.rows[2 * this.nb] = r0;
    this.rows[2 * this.nb + 1] = r1;
    this.intervals[2 * this.ni] = c0;
    this.intervals[2 * this.ni + 1] = c1;
    this.ni++;
    this.slices[this.nb++] = this.ni;
  }

  /** A block's own ranges, its rows shifted by rowShift and its intervals by colShift. */
  addRanges(
    rows: Int32Array,
    slices: Int32Array,
    intervals: Int32Array,
    rowShift: number,
    colShift: number,
  ): void {
    const nb = this.nb;
    const ni = this.ni;
    for (let b = 0; b < rows.length; b++) this.rows[2 * nb + b] = rows[b]! + rowShift;
    for (let b = 0; b < slices.length; b++) this.slices[nb + b] = slices[b]! + ni;
    const used = 2 * lastSlice(slices);
    for (let t = 0; t < used; t++) this.intervals[2 * ni + t] = intervals[t]! + colShift;
    this.nb += slices.length;
    this.ni += used / 2;
  }
}

/** KeOps ranges pairing each block's rows with its own columns, in both orientations. */
function diagonalRanges(blocks: readonly BlockData[]): Ranges {
  let nbJ = 0;
  let niJ = 0;
  let nbI = 0;
  let niI = 0;
  for (const p of blocks) {
    if (p.ranges) {
      nbJ += p.ranges.slices_i.length;
      niJ += lastSlice(p.ranges.slices_i);
      nbI += p.ranges.slices_j.length;
      niI += lastSlice(p.ranges.slices_j);
    } else {
      nbJ += p.B;
      niJ += p.B;
      nbI += p.B;
      niI += p.B;
    }
  }
  const overJ = new HalfRanges(nbJ, niJ);
  const overI = new HalfRanges(nbI, niI);
  let r = 0;
  let c = 0;
  for (const p of blocks) {
    if (p.ranges) {
      overJ.addRanges(p.ranges.ranges_i, p.ranges.slices_i, p.ranges.redranges_j, r, c);
      overI.addRanges(p.ranges.ranges_j, p.ranges.slices_j, p.ranges.redranges_i, c, r);
      r += p.nI;
      c += p.nJ;
      continue;
    }
    for (let b = 0; b < p.B; b++) {
      overJ.add(r, r + p.nI, c, c + p.nJ);
      overI.add(c, c + p.nJ, r, r + p.nI);
      r += p.nI;
      c += p.nJ;
    }
  }
  return {
    ranges_i: overJ.rows,
    slices_i: overJ.slices,
    redranges_j: overJ.intervals,
    ranges_j: overI.rows,
    slices_j: overI.slices,
    redranges_i: overI.intervals,
  };
}

/** Cuts the stacked results back into one result per block; indices become local to each batch. */
function split(
  blocks: readonly BlockData[],
  values: NDArray<FloatArray> | undefined,
  indices: NDArray<Int32Array> | undefined,
  rowCat: Cat,
  colCat: Cat,
): DiagonalBlockResult[] {
  const outDim = values ? values.shape[values.shape.length - 1]! : 0;
  const idxDim = indices ? indices.shape[indices.shape.length - 1]! : 0;
  let row = 0;
  let col = 0;
  return blocks.map((p) => {
    const n = size(p, rowCat);
    const m = size(p, colCat);
    const rows = p.B * n;
    const res: DiagonalBlockResult = {};
    if (values) {
      res.values = {
        data: values.data.slice(row * outDim, (row + rows) * outDim),
        shape: [...p.batch, n, outDim],
      };
    }
    if (indices) {
      const idx = indices.data.slice(row * idxDim, (row + rows) * idxDim);
      for (let t = 0; t < idx.length; t++) {
        const b = Math.floor(t / (n * idxDim));
        if (idx[t]! >= 0) idx[t] = idx[t]! - col - b * m;
      }
      res.indices = { data: idx, shape: [...p.batch, n, idxDim] };
    }
    row += rows;
    col += p.B * m;
    return res;
  });
}
