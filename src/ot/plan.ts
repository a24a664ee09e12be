import { check } from '../errors.js';
import type { LazyTensor } from '../lazy/index.js';
import { type FloatArray, isNDArray, type NDArray } from '../ndarray.js';
import type { OnlinePair } from './pairs.js';

/**
 * How the pairs of a plan index the points when they are not the user's order (a multiscale
 * solve sorts both clouds by cluster): `rows[k]` / `cols[k]` is the user index of sorted row /
 * column k, and `full` is the (rows x, columns y) pair on the user's clouds, every pair kept
 * (for `logPlan` and `dense`).
 */
export interface PlanOrder {
  rows: Int32Array;
  cols: Int32Array;
  full: OnlinePair;
}

/** v (width values per point) in user order → sorted order: out[k] = v[perm[k]]. */
function gather(v: ArrayLike<number>, perm: Int32Array, width: number): Float64Array {
  const out = new Float64Array(perm.length * width);
  for (let k = 0; k < perm.length; k++)
    for (let e = 0; e < width; e++) out[k * width + e] = v[perm[k]! * width + e]!;
  return out;
}

/** v in sorted order → user order: out[perm[k]] = v[k]. */
function scatter<T extends Float64Array | Int32Array>(v: T, perm: Int32Array | undefined, width: number): T {
  if (!perm) return v;
  const out = new (v.constructor as { new (n: number): T })(v.length);
  for (let k = 0; k < perm.length; k++)
    for (let e = 0; e < width; e++) out[perm[k]! * width + e] = v[k * width + e]!;
  return out;
}

/**
 * An entropic transport plan kept in the log domain and never stored:
 *   log π_ij = log a_i + log b_j + (f_i + g_j − C(x_i, y_j))/ε.
 * Every method is one or two engine reductions (O(N + M) memory); only `dense()` materialises it.
 * When the pairs carry block-sparse ranges (a multiscale solve), the reductions visit the kept
 * blocks only (the kernel the solver converged on); `logPlan()` and `dense()` cover every pair.
 * Inputs and outputs are always in the user's point order.
 */
export class LazyPlan {
  readonly n: number;
  readonly m: number;
  /** Row offsets r_i = log a_i + f_i/ε and column offsets c_j = log b_j + g_j/ε. */
  private readonly rowOffset: Float64Array;
  private readonly colOffset: Float64Array;

  /**
   * @param xy the pair (rows x, columns y); @param yx the transposed pair (rows y, columns x).
   * @param aLog, f (rows) and bLog, g (columns) in the pairs' order.
   * @param order the pairs' order when it is not the user's (see PlanOrder).
   */
  constructor(
    private readonly xy: OnlinePair,
    private readonly yx: OnlinePair,
    aLog: Float64Array,
    bLog: Float64Array,
    readonly f: Float64Array,
    readonly g: Float64Array,
    readonly eps: number,
    private readonly order?: PlanOrder,
  ) {
    check(xy.B === 1, 'LazyPlan: batched plans are not supported; solve each batch separately');
    this.n = xy.n;
    this.m = xy.m;
    this.rowOffset = Float64Array.from(aLog, (v, i) => v + f[i]! / eps);
    this.colOffset = Float64Array.from(bLog, (v, j) => v + g[j]! / eps);
  }

  /** Reduction options over the rows x (the xy pair's kept blocks) and over the rows y. */
  private get ro() {
    return this.xy.reduceOptions;
  }

  private get roT() {
    return this.yx.reduceOptions;
  }

  /** log π_ij − r_i = c_j − C_ij/ε, rows x (the row offset is constant per row). */
  private rowLogits(): LazyTensor {
    return this.xy.logits(this.eps, this.colOffset);
  }

  /** log π_ij − c_j over rows y (the transposed plan). */
  private colLogits(): LazyTensor {
    return this.yx.logits(this.eps, this.rowOffset);
  }

  /** The full log π_ij as a symbolic matrix (rows x, columns y, the user's order, every pair). */
  logPlan(): LazyTensor {
    const o = this.order;
    if (!o) return this.xy.rowData(this.rowOffset).add(this.rowLogits());
    return o.full
      .rowData(scatter(this.rowOffset, o.rows, 1))
      .add(o.full.logits(this.eps, scatter(this.colOffset, o.cols, 1)));
  }

  private static masses(L: FloatArray, off: Float64Array): Float64Array {
    return Float64Array.from(off, (r, i) => Math.exp(r + L[i]!));
  }

  /** Σ_j π_ij, one per x_i. */
  rowMasses(): Float64Array {
    return scatter(this.sortedRowMasses(), this.order?.rows, 1);
  }

  /** Σ_i π_ij, one per y_j. */
  colMasses(): Float64Array {
    return scatter(this.sortedColMasses(), this.order?.cols, 1);
  }

  private sortedRowMasses(): Float64Array {
    return LazyPlan.masses(this.rowLogits().logsumexp('j', this.ro).data, this.rowOffset);
  }

  private sortedColMasses(): Float64Array {
    return LazyPlan.masses(this.colLogits().logsumexp('j', this.roT).data, this.colOffset);
  }

  /**
   * π v: Σ_j π_ij v_j for v of shape [M] or [M, E] (signed values allowed): row mass times a
   * softmax-weighted average, both stable reductions.
   */
  matvec(v: NDArray | number[] | FloatArray): NDArray<Float64Array> {
    const o = this.order;
    return this.apply(
      this.rowLogits(),
      this.xy,
      v,
      this.sortedRowMasses(),
      this.m,
      this.ro,
      o?.cols,
      o?.rows,
    );
  }

  /** πᵀ u: Σ_i π_ij u_i for u of shape [N] or [N, E]. */
  tmatvec(u: NDArray | number[] | FloatArray): NDArray<Float64Array> {
    const o = this.order;
    return this.apply(
      this.colLogits(),
      this.yx,
      u,
      this.sortedColMasses(),
      this.n,
      this.roT,
      o?.rows,
      o?.cols,
    );
  }

  private apply(
    F: LazyTensor,
    pair: OnlinePair,
    v: NDArray | number[] | FloatArray,
    mass: Float64Array,
    len: number,
    ro: OnlinePair['reduceOptions'],
    inPerm: Int32Array | undefined,
    outPerm: Int32Array | undefined,
  ): NDArray<Float64Array> {
    const flat = Array.isArray(v) || v instanceof Float64Array || v instanceof Float32Array;
    const arr: NDArray = flat ? { data: Float64Array.from(v), shape: [v.length] } : v;
    check(
      isNDArray(arr) && (arr.shape.length === 1 || arr.shape.length === 2) && arr.shape[0] === len,
      () =>
        `plan: expected a vector [${len}] or [${len}, E] (an NDArray, number[] or Float64Array), got ` +
        (isNDArray(arr) ? `[${arr.shape.join(', ')}]` : typeof v),
    );
    const E = arr.shape.length === 2 ? arr.shape[1]! : 1;
    check(
      arr.data.length === len * E,
      () => `plan: shape [${arr.shape.join(', ')}] does not match ${arr.data.length} values`,
    );
    for (let k = 0; k < arr.data.length; k++)
      check(
        Number.isFinite(arr.data[k]),
        () => `plan: value ${k} of the vector is not finite (${arr.data[k]})`,
      );
    const W = pair.colData(inPerm ? gather(arr.data, inPerm, E) : (arr.data as FloatArray), E);
    const avg = F.sumSoftmaxWeight(W, 'j', ro).data;
    const rows = mass.length;
    const out = new Float64Array(rows * E);
    for (let i = 0; i < rows; i++) for (let e = 0; e < E; e++) out[i * E + e] = mass[i]! * avg[i * E + e]!;
    return { data: scatter(out, outPerm, E), shape: arr.shape.length === 2 ? [rows, E] : [rows] };
  }

  /** Barycentric projection T(x_i) = Σ_j π_ij y_j / Σ_j π_ij, [N, D]. */
  barycentricMap(): NDArray<Float64Array> {
    const out = this.rowLogits().sumSoftmaxWeight(this.xy.V, 'j', this.ro);
    return {
      data: scatter(Float64Array.from(out.data), this.order?.rows, this.xy.d),
      shape: [this.n, this.xy.d],
    };
  }

  /** Sorted column indices → user indices (−1, a row without kept columns, stays −1). */
  private userCols(idx: Int32Array): Int32Array {
    const cols = this.order?.cols;
    if (!cols) return idx;
    return idx.map((j) => (j >= 0 ? cols[j]! : j));
  }

  /**
   * Hard assignment: for each x_i, the j maximising π_ij (ties: lowest j; with a multiscale
   * plan, the lowest in the solver's sorted order).
   */
  matching(): Int32Array {
    return scatter(this.userCols(this.rowLogits().argmax('j', this.ro).data), this.order?.rows, 1);
  }

  /** The K largest entries of each row: partner indices [N, K] and their masses π_ij, sorted by decreasing mass. */
  topK(K: number): { indices: NDArray<Int32Array>; mass: NDArray<Float64Array> } {
    check(
      Number.isInteger(K) && K >= 1 && K <= this.m,
      () => `topK: K must be an integer in [1, ${this.m}], got ${K}`,
    );
    const { values, indices } = this.rowLogits().neg().kminArgKmin(K, 'j', this.ro);
    const mass = new Float64Array(this.n * K);
    for (let i = 0; i < this.n; i++) {
      for (let k = 0; k < K; k++) mass[i * K + k] = Math.exp(this.rowOffset[i]! - values.data[i * K + k]!);
    }
    const rows = this.order?.rows;
    return {
      indices: { data: scatter(this.userCols(indices.data), rows, K), shape: [this.n, K] },
      mass: { data: scatter(mass, rows, K), shape: [this.n, K] },
    };
  }

  /** The plan as a dense [N, M] array (small problems only): exp of the log-domain entries. */
  dense(): NDArray<Float64Array> {
    const o = this.order;
    const rowOffset = o ? scatter(this.rowOffset, o.rows, 1) : this.rowOffset;
    const F = o ? o.full.logits(this.eps, scatter(this.colOffset, o.cols, 1)) : this.rowLogits();
    const L = F.dense({ backend: this.xy.engine.compute }).data;
    const out = new Float64Array(this.n * this.m);
    for (let i = 0; i < this.n; i++) {
      for (let j = 0; j < this.m; j++) out[i * this.m + j] = Math.exp(rowOffset[i]! + L[i * this.m + j]!);
    }
    return { data: out, shape: [this.n, this.m] };
  }
}
