import { LazyTensorError } from '../errors.js';
import { LazyTensor, Pm, paramArray, Vi, Vj } from '../lazy/index.js';
import type { Ranges } from '../lazy/ranges.js';
import type { PairOps } from './pairs.js';

/**
 * A regular grid of B batches of n_0 × … × n_{k−1} cells (row-major), with one coordinate
 * vector per axis (the cell positions along that axis).
 */
export interface Grid {
  B: number;
  /** Cells per axis (2 or 3 axes). */
  dims: readonly number[];
  /** Coordinates of the cells along each axis. */
  coords: readonly Float64Array[];
}

export function gridSize(g: Grid): number {
  return g.dims.reduce((s, n) => s * n, g.B);
}

/**
 * One 1-D log-sum-exp along `axis`, for every line of the grid parallel to that axis:
 *   out[…, i, …] = log Σ_j exp(h[…, j, …] − (x_i − x_j)² · s)
 * as ONE batched engine reduction (batch = every other index, i and j along the axis). The
 * engine owns the max-shifted log-sum-exp; the OT layer writes no N×M loop.
 */
class AxisLSE {
  private readonly F: LazyTensor;
  private readonly hVar: LazyTensor;
  private readonly sVar: LazyTensor;
  readonly n: number;
  readonly m: number;

  /** rows: the output positions along the axis; cols: the input positions; `lines` batches. */
  constructor(
    rows: Float64Array,
    cols: Float64Array,
    private readonly lines: number,
  ) {
    this.n = rows.length;
    this.m = cols.length;
    // The coordinates repeated for every line (the batch dimension of the reduction).
    const repeat = (c: Float64Array) => {
      const r = new Float64Array(lines * c.length);
      for (let b = 0; b < lines; b++) r.set(c, b * c.length);
      return r;
    };
    const X = Vi({ data: repeat(rows), shape: [lines, this.n, 1] });
    const Y = Vj({ data: repeat(cols), shape: [lines, this.m, 1] });
    this.hVar = Vj({ data: new Float64Array(lines * this.m), shape: [lines, this.m, 1] });
    this.sVar = Pm(1);
    this.F = this.hVar.sub(X.sqdist(Y).mul(this.sVar));
  }

  /** h: lines·m values, each line contiguous; returns lines·n log-sum-exps. */
  run(h: Float64Array, s: number, backend?: string): Float64Array {
    const vars = new Map(this.F.vars);
    vars.set(this.hVar.formula, { data: h, shape: [this.lines, this.m, 1] });
    vars.set(this.sVar.formula, paramArray(s));
    const r = new LazyTensor(this.F.formula, vars).logsumexp('j', { backend }).data;
    return r instanceof Float64Array ? r : Float64Array.from(r);
  }
}

/** Moves `axis` of a row-major [outer, n_axis, inner] array last: [outer, inner, n_axis]. */
function axisLast(v: Float64Array, outer: number, n: number, inner: number): Float64Array {
  if (inner === 1) return v;
  const out = new Float64Array(outer * n * inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let k = 0; k < n; k++)
      for (let q = 0; q < inner; q++) out[base + q * n + k] = v[base + k * inner + q]!;
  }
  return out;
}

/** The inverse of axisLast. */
function axisBack(v: Float64Array, outer: number, n: number, inner: number): Float64Array {
  if (inner === 1) return v;
  const out = new Float64Array(outer * n * inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let k = 0; k < n; k++)
      for (let q = 0; q < inner; q++) out[base + k * inner + q] = v[base + q * n + k]!;
  }
  return out;
}

/**
 * The softmin of a grid for the cost C(x, y) = |x − y|²/2 (p = 2), which is separable:
 *   softmin_ε(h)(x) = −ε log Σ_y exp(h(y) − Σ_axis (x_a − y_a)²/(2ε))
 * is computed exactly as one 1-D log-sum-exp per axis (last axis first), each a batched engine
 * reduction of size n_a × n_a over the lines of the grid: O(N · Σ n_a) work instead of O(N²),
 * and no N×N kernel is ever formed. As a PairOps it plugs into the shared Sinkhorn loop.
 */
export class GridPair implements PairOps {
  readonly B: number;
  readonly n: number;
  readonly m: number;
  readonly d: number;
  readonly ranges?: Ranges = undefined;
  private readonly axes: { lse: AxisLSE; outer: number; inner: number }[];

  /**
   * @param rows the output grid; @param cols the input grid (default: rows), with the same
   * number of axes and batches (a coarse grid for the extrapolation of a pyramid's potentials).
   */
  constructor(
    readonly grid: Grid,
    cols: Grid = grid,
    readonly backend?: string,
  ) {
    const { B, dims } = grid;
    const prod = (v: readonly number[]) => v.reduce((s, k) => s * k, 1);
    this.B = B;
    this.n = prod(dims);
    this.m = prod(cols.dims);
    this.d = dims.length;
    // Axis a is reduced after the axes above it: those are row-sized, the ones below column-sized.
    this.axes = dims.map((_, a) => {
      const inner = prod(dims.slice(a + 1));
      const outer = B * prod(cols.dims.slice(0, a));
      return { lse: new AxisLSE(grid.coords[a]!, cols.coords[a]!, outer * inner), outer, inner };
    });
  }

  /** log Σ_y exp(h(y) − |x − y|²/(2ε)) on the grid (B·N values). */
  logConv(eps: number, h: Float64Array): Float64Array {
    let v = h;
    const s = 1 / (2 * eps);
    for (let a = this.axes.length - 1; a >= 0; a--) {
      const { lse, outer, inner } = this.axes[a]!;
      v = axisBack(lse.run(axisLast(v, outer, lse.m, inner), s, this.backend), outer, lse.n, inner);
    }
    return v;
  }

  softmin(eps: number, h: Float64Array): Float64Array {
    const v = this.logConv(eps, h);
    const out = v === h ? new Float64Array(v) : v;
    for (let k = 0; k < out.length; k++) out[k] = -eps * out[k]!;
    return out;
  }

  softGrad(): Float64Array {
    throw new LazyTensorError('grid pairs have no position gradients (the grid is fixed)');
  }

  weightedSum(): Float64Array {
    throw new LazyTensorError('grid pairs: weightedSum is not implemented');
  }

  weightedGrad(): Float64Array {
    throw new LazyTensorError('grid pairs: weightedGrad is not implemented');
  }
}
