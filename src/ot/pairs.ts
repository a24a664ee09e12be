import { check } from '../errors.js';
import type { Node } from '../formula/node.js';
import { LazyTensor, Pm, paramArray, Vi, Vj } from '../lazy/index.js';
import { kernelRanges, type Ranges, transposeRanges } from '../lazy/ranges.js';
import type { DType, FloatArray, NDArray } from '../ndarray.js';
import type { Cost } from './cost.js';
import type { Cloud } from './input.js';

/** Engine options forwarded to every reduction. */
export interface EngineOptions {
  /** Engine backend: 'auto', 'js', 'native', 'cuda', ... */
  compute?: string;
}

/**
 * The operators of one (rows, columns) pair of point clouds u (B×n×D) and v (B×m×D) with cost
 * C(u_i, v_j), as the Sinkhorn loop and the gradients need them. h is always a log-weight plus a
 * potential over ε, on the column side (B·m values).
 *
 * With `ranges` (block-sparse, KeOps layout, unbatched clouds), every sum over j visits only the
 * kept (i, j) blocks: the pair stands for the truncated kernel of a multiscale solver. A row that
 * keeps no column gets the empty-set values (softmin +∞, sums 0).
 */
export interface PairOps {
  readonly B: number;
  readonly n: number;
  readonly m: number;
  readonly d: number;
  /** Kept (row, column) blocks; undefined: every pair (i, j). */
  readonly ranges?: Ranges;
  /** out_i = −ε log Σ_j exp(h_j − C(u_i, v_j)/ε), B·n values. */
  softmin(eps: number, h: Float64Array): Float64Array;
  /** Σ_j softmax_j(h_j − C_ij/ε) ∇_u C(u_i, v_j), B·n·D values. */
  softGrad(eps: number, h: Float64Array): Float64Array;
  /** Σ_j exp(hI_i + hJ_j − C_ij/ε) w_j, B·n values (exponents ≲ 0 near a fixed point). */
  weightedSum(eps: number, hI: Float64Array, hJ: Float64Array, w: Float64Array): Float64Array;
  /** Σ_j exp(hI_i + hJ_j − C_ij/ε) w_j ∇_u C(u_i, v_j), B·n·D values. */
  weightedGrad(eps: number, hI: Float64Array, hJ: Float64Array, w: Float64Array): Float64Array;
}

/** Copies into a float array of the given dtype. */
export function toDtype(a: ArrayLike<number>, dtype: DType): FloatArray {
  return dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a);
}

export function toF64(a: FloatArray): Float64Array {
  return a instanceof Float64Array ? a : Float64Array.from(a);
}

/** An NDArray view of a cloud's data, [N, D] or [B, N, D]. */
export function cloudArray(c: Cloud): NDArray<FloatArray> {
  return { data: c.data, shape: c.batched ? [c.B, c.n, c.d] : [c.n, c.d] };
}

/** A column vector (B·n values) as an NDArray [n, 1] or [B, n, 1] of the given dtype. */
export function columnArray(
  v: ArrayLike<number>,
  B: number,
  n: number,
  batched: boolean,
  dtype: DType,
): NDArray {
  return { data: toDtype(v, dtype), shape: batched ? [B, n, 1] : [n, 1] };
}

/**
 * Pair operators on the engine: every softmin is one LogSumExp reduction of
 * F_ij = h_j − C(u_i, v_j)·(1/ε), with h and 1/ε passed as runtime data (one compiled kernel for
 * the whole ε-schedule). Gradients use SumSoftMaxWeight with ∇C (built-in costs) or the engine's
 * autodiff of the LogSumExp reduction (custom costs).
 */
export class OnlinePair implements PairOps {
  readonly B: number;
  readonly n: number;
  readonly m: number;
  readonly d: number;
  /** Row points (i-indexed) and column points (j-indexed). */
  readonly U: LazyTensor;
  readonly V: LazyTensor;
  /** C(u_i, v_j). */
  readonly C: LazyTensor;
  readonly dtype: DType;
  readonly batched: boolean;

  /**
   * @param rows the row cloud u; @param cols the column cloud v (same D, same B);
   * @param swap when true C_ij = cost(v_j, u_i) (the transposed problem of a (v, u) pair);
   * @param ranges kept blocks of the (u, v) interactions (unbatched clouds only); the transposed
   *   pair takes `transposeRanges(ranges)` (see `transpose()`).
   */
  constructor(
    readonly rows: Cloud,
    readonly cols: Cloud,
    readonly cost: Cost,
    readonly swap: boolean,
    readonly engine: EngineOptions,
    readonly ranges?: Ranges,
  ) {
    this.B = rows.B;
    this.n = rows.n;
    this.m = cols.n;
    this.d = rows.d;
    this.dtype = rows.dtype;
    this.batched = rows.batched;
    // Distinct NDArray objects: gradients with respect to U never flow into V, even for u = v.
    this.U = Vi(cloudArray(rows));
    this.V = Vj(cloudArray(cols));
    // Built-in costs are symmetric (bit for bit: (v − u)² = (u − v)²), so a transposed pair has
    // the same formula structure as a direct one and both fuse into one engine call.
    this.C = swap && cost.kind === 'custom' ? cost.build(this.V, this.U) : cost.build(this.U, this.V);
    if (ranges) {
      check(
        !rows.batched && !cols.batched,
        () =>
          `pair ranges need unbatched clouds [N, D], got shapes [${rows.shape.join(', ')}] and [${cols.shape.join(', ')}]`,
      );
      kernelRanges(ranges, 'j', this.n, this.m);
      kernelRanges(ranges, 'i', this.m, this.n);
    }
  }

  /** The transposed pair (rows v, columns u, the same C(u_i, v_j) entries and kept blocks). */
  transpose(): OnlinePair {
    const r = this.ranges && transposeRanges(this.ranges);
    return new OnlinePair(this.cols, this.rows, this.cost, !this.swap, this.engine, r);
  }

  /** The column vector h (B·m values) as j-indexed data. */
  column(h: ArrayLike<number>): LazyTensor {
    return Vj(columnArray(h, this.B, this.m, this.batched, this.dtype));
  }

  /** Per-row data (B·n·E values) as an i-indexed variable of dimension E, in the pair's dtype. */
  rowData(v: ArrayLike<number>, E = 1): LazyTensor {
    return Vi({ data: toDtype(v, this.dtype), shape: this.batched ? [this.B, this.n, E] : [this.n, E] });
  }

  /** Per-column data (B·m·E values) as a j-indexed variable of dimension E, in the pair's dtype. */
  colData(v: ArrayLike<number>, E = 1): LazyTensor {
    return Vj({ data: toDtype(v, this.dtype), shape: this.batched ? [this.B, this.m, E] : [this.m, E] });
  }

  /**
   * F_ij = h_j − C_ij/ε as a LazyTensor (h and 1/ε runtime data). The formula is built once per
   * pair, so every call reuses the engine's cached kernel spec without rebuilding the formula.
   */
  logits(eps: number, h: ArrayLike<number>): LazyTensor {
    if (!this.template) {
      const H = this.column(new Float64Array(this.B * this.m));
      const inv = Pm(1);
      this.template = { F: H.sub(this.C.mul(inv)), h: H.formula, inv: inv.formula };
    }
    const { F, h: hVar, inv } = this.template;
    const vars = new Map(F.vars);
    vars.set(hVar, columnArray(h, this.B, this.m, this.batched, this.dtype));
    vars.set(inv, paramArray(1 / eps));
    return new LazyTensor(F.formula, vars);
  }

  /** The formula of `logits` and its two runtime variables (h_j and 1/ε). */
  private template?: { F: LazyTensor; h: Node; inv: Node };

  /** Options of every reduction of the pair: the engine backend and the kept blocks. */
  get reduceOptions(): { backend?: string; ranges?: Ranges } {
    return { backend: this.engine.compute, ranges: this.ranges };
  }

  private get ro() {
    return this.reduceOptions;
  }

  softmin(eps: number, h: Float64Array): Float64Array {
    const out = toF64(this.logits(eps, h).logsumexp('j', this.ro).data);
    const res = new Float64Array(out.length);
    for (let k = 0; k < out.length; k++) res[k] = -eps * out[k]!;
    return res;
  }

  softGrad(eps: number, h: Float64Array): Float64Array {
    const F = this.logits(eps, h);
    if (this.cost.gradient) {
      return toF64(F.sumSoftmaxWeight(this.cost.gradient(this.U, this.V), 'j', this.ro).data);
    }
    // d/du_i log Σ_j exp(F_ij) = −(1/ε) Σ_j softmax_ij ∇_u C(u_i, v_j).
    const ones = {
      data: new Float64Array(this.B * this.n).fill(1),
      shape: this.batched ? [this.B, this.n, 1] : [this.n, 1],
    };
    const g = toF64(F.reduction('LogSumExp', 'j', this.ro).grad(this.U, ones).eval(this.ro).data);
    for (let k = 0; k < g.length; k++) g[k] = -eps * g[k]!;
    return g;
  }

  /** exp(hI_i + hJ_j − C_ij/ε)·w_j as a LazyTensor: one exponential of a log-domain quantity. */
  private weighted(eps: number, hI: Float64Array, hJ: Float64Array, w: Float64Array): LazyTensor {
    return this.rowData(hI).add(this.logits(eps, hJ)).exp().mul(this.colData(w));
  }

  weightedSum(eps: number, hI: Float64Array, hJ: Float64Array, w: Float64Array): Float64Array {
    return toF64(this.weighted(eps, hI, hJ, w).sum('j', this.ro).data);
  }

  weightedGrad(eps: number, hI: Float64Array, hJ: Float64Array, w: Float64Array): Float64Array {
    const K = this.weighted(eps, hI, hJ, w);
    if (this.cost.gradient) return toF64(K.mul(this.cost.gradient(this.U, this.V)).sum('j', this.ro).data);
    // d/du_i Σ_j K_ij = −(1/ε) Σ_j K_ij ∇_u C(u_i, v_j).
    const ones = {
      data: new Float64Array(this.B * this.n).fill(1),
      shape: this.batched ? [this.B, this.n, 1] : [this.n, 1],
    };
    const g = toF64(K.reduction('Sum', 'j', this.ro).grad(this.U, ones).eval(this.ro).data);
    for (let k = 0; k < g.length; k++) g[k] = -eps * g[k]!;
    return g;
  }
}

/**
 * Pair operators of the 'tensorized' backend: the same engine reductions as the online pair, one
 * call per pair problem (never fused with the other problems of a Sinkhorn step, so comparing
 * both backends checks the fusion). The softmin is the online pair's LogSumExp reduction: the
 * engine owns the max-shifted log-sum-exp, the OT layer writes no N×M loop, and small problems
 * run inline on the calling thread, so the B·N·M cost matrix is no longer materialised.
 */
export class DensePair implements PairOps {
  readonly B: number;
  readonly n: number;
  readonly m: number;
  readonly d: number;
  readonly ranges?: Ranges;

  constructor(readonly online: OnlinePair) {
    this.B = online.B;
    this.n = online.n;
    this.m = online.m;
    this.d = online.d;
    this.ranges = online.ranges;
  }

  softmin(eps: number, h: Float64Array): Float64Array {
    return this.online.softmin(eps, h);
  }

  softGrad(eps: number, h: Float64Array): Float64Array {
    return this.online.softGrad(eps, h);
  }

  weightedSum(eps: number, hI: Float64Array, hJ: Float64Array, w: Float64Array): Float64Array {
    return this.online.weightedSum(eps, hI, hJ, w);
  }

  weightedGrad(eps: number, hI: Float64Array, hJ: Float64Array, w: Float64Array): Float64Array {
    return this.online.weightedGrad(eps, hI, hJ, w);
  }
}
