import type { DType, FloatArray, NDArray } from '../ndarray.js';
import type { Cloud } from './input.js';
import { toDtype } from './pairs.js';

/** What `samplesLoss` returns with `gradients: false`: the value, the potentials, no derivatives. */
export type SamplesLossValue<T extends FloatArray = FloatArray> = Omit<
  SamplesLossResult<T>,
  'gradX' | 'gradY' | 'gradA' | 'gradB'
>;

/**
 * What `samplesLoss` returns: the value and its first-order derivatives (envelope theorem). `T`
 * is the float array type of the inputs (Float64Array for number[][]).
 */
export interface SamplesLossResult<T extends FloatArray = FloatArray> {
  /** The loss: a number, or a Float64Array of B values for batched inputs. */
  value: number | Float64Array;
  /** d value / d x, shaped like x (input dtype); for batches, d value_b / d x_b. */
  gradX: NDArray<T>;
  /** d value / d y, shaped like y. */
  gradY: NDArray<T>;
  /** d value / d a, [N] or [B, N] (for balanced OT: defined up to a constant, as GeomLoss). */
  gradA: NDArray<T>;
  /** d value / d b, [M] or [B, M]. */
  gradB: NDArray<T>;
  /**
   * Dual potentials, [N] and [M] (or [B, ·]): Sinkhorn: f_ba − f_aa and g_ab − g_bb when
   * debiased, f_ba and g_ab otherwise (as GeomLoss); Hausdorff: b_x − a_x and a_y − b_y; kernel
   * losses: K(α−β) on x and K(β−α) on y.
   */
  potentials: { f: NDArray<T>; g: NDArray<T> };
  /** The OT backend that ran ('tensorized' | 'online' | ...). */
  backend: string;
  /** Number of ε steps of the Sinkhorn loop (0 for kernel losses). */
  iterations: number;
  /** Sinkhorn: how the loop converged (levels, iterations per level, pairs visited, marginal error). */
  convergence?: Convergence;
}

/** One level of a (multiscale) Sinkhorn solve. */
export interface LevelReport {
  /** Points (or clusters) of x and y at this level. */
  points: [number, number];
  /** ε steps run at this level. */
  iterations: number;
  /** Fraction of the N×M (cluster) pairs the level's kernel visits (1 without truncation). */
  pairsVisited: number;
}

/** Convergence report of a Sinkhorn solve. */
export interface Convergence {
  /**
   * L1 marginal error of the potentials at the end of the loop (before the final extrapolation),
   * largest over the problems of the loop and the batches; see the `tol` option.
   */
  marginalError: number;
  /** Steps run at the final ε after the schedule (tol / maxIter). */
  extraIterations: number;
  /** Coarse to fine; the last one is the points themselves. */
  levels: LevelReport[];
  /** Multiscale: how the clouds were clustered ('grid', 'kmeans' or the user's 'labels'). */
  clustering?: 'grid' | 'kmeans' | 'labels';
}

/** Per-batch vector as an NDArray [N] or [B, N]. */
export function perPoint(v: ArrayLike<number>, c: Cloud, dtype: DType): NDArray<FloatArray> {
  return { data: toDtype(v, dtype), shape: c.batched ? [c.B, c.n] : [c.n] };
}

/** Gradient with respect to positions, shaped like the cloud. */
export function perCoordinate(v: ArrayLike<number>, c: Cloud): NDArray<FloatArray> {
  return { data: toDtype(v, c.dtype), shape: [...c.shape] };
}

/** The value as returned: a number, or one per batch. */
export function batchValue(values: Float64Array, batched: boolean): number | Float64Array {
  return batched ? values : values[0]!;
}

/** Σ_k w_k v_k per batch. */
export function dotPerBatch(
  w: ArrayLike<number>,
  v: ArrayLike<number>,
  B: number,
  n: number,
  out: Float64Array,
): void {
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += w[b * n + i]! * v[b * n + i]!;
    out[b] = out[b]! + s;
  }
}

/** out_{i,k} = s_i · g_{i,k} (rows of dimension d), accumulated with sign. */
export function addScaledRows(
  out: Float64Array,
  s: ArrayLike<number>,
  g: ArrayLike<number>,
  d: number,
  sign: number,
): void {
  for (let i = 0; i < s.length; i++) {
    const w = sign * s[i]!;
    for (let k = 0; k < d; k++) out[i * d + k] = out[i * d + k]! + w * g[i * d + k]!;
  }
}
