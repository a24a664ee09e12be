import { host } from '../lazy/data.js';
import { type LazyTensor, Pm, Vi, Vj } from '../lazy/index.js';
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
 */
export interface PairOps {
  readonly B: number;
  readonly n: number;
  readonly m: number;
  readonly d: number;
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

let nextPairId = 0;

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
  /** Identifies the pair in caches (see pairBatch.ts). */
  readonly id = nextPairId++;

  /**
   * @param rows the row cloud u; @param cols the column cloud v (same D, same B);
   * @param swap when true C_ij = cost(v_j, u_i) (the transposed problem of a (v, u) pair).
   */
  constructor(
    readonly rows: Cloud,
    readonly cols: Cloud,
    readonly cost: Cost,
    readonly swap: boolean,
    readonly engine: EngineOptions,
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
    this.C = swap ? cost.build(this.V, this.U) : cost.build(this.U, this.V);
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

  /** F_ij = h_j − C_ij/ε as a LazyTensor (1/ε a runtime parameter). */
  logits(eps: number, h: ArrayLike<number>): LazyTensor {
    return this.column(h).sub(this.C.mul(Pm(1 / eps)));
  }

  private get ro() {
    return { backend: this.engine.compute };
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
 * Pair operators on a materialised cost matrix (GeomLoss' "tensorized" backend, for small
 * problems): the matrix is computed once through the engine (`dense()`), softmins are
 * log-sum-exps over its rows. Gradients go through the engine like the online backend.
 */
export class DensePair implements PairOps {
  readonly B: number;
  readonly n: number;
  readonly m: number;
  readonly d: number;
  /** B·n·m costs, row-major per batch. */
  readonly matrix: Float64Array;

  constructor(readonly online: OnlinePair) {
    this.B = online.B;
    this.n = online.n;
    this.m = online.m;
    this.d = online.d;
    this.matrix = denseCost(online);
  }

  softmin(eps: number, h: Float64Array): Float64Array {
    const { B, n, m, matrix } = this;
    const out = new Float64Array(B * n);
    const inv = 1 / eps;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < n; i++) {
        const row = (b * n + i) * m;
        let mx = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < m; j++) mx = Math.max(mx, h[b * m + j]! - matrix[row + j]! * inv);
        let s = 0;
        for (let j = 0; j < m; j++) s += Math.exp(h[b * m + j]! - matrix[row + j]! * inv - mx);
        out[b * n + i] = -eps * (mx + Math.log(s));
      }
    }
    return out;
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

/** The B×n×m cost matrix of a pair, through the engine's dense() (one batch at a time). */
function denseCost(p: OnlinePair): Float64Array {
  if (p.B === 1 && !isBatched(p)) return toF64(p.C.dense({ backend: p.engine.compute }).data);
  const out = new Float64Array(p.B * p.n * p.m);
  const U = host([...p.U.vars.values()][0]!, 'samplesLoss');
  const V = host([...p.V.vars.values()][0]!, 'samplesLoss');
  for (let b = 0; b < p.B; b++) {
    const ub = slice(U, b, p.n, p.d);
    const vb = slice(V, b, p.m, p.d);
    const Cb = new OnlinePair(ub, vb, p.cost, p.swap, p.engine);
    out.set(toF64(Cb.C.dense({ backend: p.engine.compute }).data), b * p.n * p.m);
  }
  return out;
}

function isBatched(p: OnlinePair): boolean {
  return [...p.U.vars.values()][0]!.shape.length === 3;
}

function slice(a: NDArray, b: number, n: number, d: number): Cloud {
  const data = (a.data as FloatArray).subarray(b * n * d, (b + 1) * n * d);
  return {
    data,
    B: 1,
    n,
    d,
    dtype: data instanceof Float32Array ? 'float32' : 'float64',
    batched: false,
    shape: [n, d],
  };
}
