/**
 * Kernel ridge regression: (αI + K) c = y, K the symbolic kernel matrix of the training points.
 * 'cg' solves it by conjugate gradient (one engine reduction per iteration for all columns of y),
 * preconditioned by default with the randomized Nyström preconditioner of Frangella, Tropp and
 * Udell (2023), kept implicit (nystromOperator.ts: two extra reductions of N·rank pairs per
 * iteration, nothing of size N×rank stored); 'nystrom' solves the low-rank system
 * (αI + F Fᵀ) c = y exactly instead (explicit factor F, for accuracy when K_mm is near-singular).
 * float32 data are summed in float64 by default: float32 sums of N terms stall CG near 1e-5.
 */
import { check } from '../errors.js';
import { type CgControl, conjugateGradient } from '../lazy/cg.js';
import { toFloatArray } from '../lazy/data.js';
import type { ReduceOptions } from '../lazy/index.js';
import { checkControl, shiftedMatvec } from '../lazy/linalg.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import type { AccumulatorKind } from '../reduction/types.js';
import { maxAbs } from './floatScans.js';
import { checkInt, type KernelSpec, kernelMatrix, kernelOf, pointArray } from './kernels.js';
import { drawLandmarks, kernelColumns, nystromFactor } from './nystrom.js';
import { lowRankUpdate, nystromEigen, nystromFactorEigen } from './nystromOperator.js';
import { timesPow2 } from './tinyScale.js';

/** Options of `kernelRidge`. */
export interface KernelRidgeOptions extends KernelSpec, CgControl {
  /** Ridge α > 0. */
  alpha: number;
  /** 'cg' (default): the exact system by conjugate gradient; 'nystrom': the rank-`rank` approximation. */
  method?: 'cg' | 'nystrom';
  /** Nyström rank of the preconditioner or of the approximation (default min(N, 100)). */
  rank?: number;
  /** Preconditioner of 'cg': 'nystrom' (default) or 'none'. */
  preconditioner?: 'nystrom' | 'none';
  /** Seed of the Nyström landmarks (default 0). */
  seed?: number;
  /** Engine backend ('auto', 'js', 'native', ...). */
  backend?: string;
  /**
   * Accumulator of the engine's sums: 'float64' (the default for float32 data: a float32 sum of N
   * terms would stall CG near 1e-5), 'kahan', or 'default' (the data dtype).
   */
  accumulator?: AccumulatorKind;
}

/** A fitted kernel ridge regression. */
export interface KernelRidgeModel {
  /** c [N, E] (or [N] for a vector y), in the dtype of x. */
  coef: NDArray<FloatArray>;
  /** Σ_j k(x_new, x_j) c_j for new points [M, D]: [M, E] (or [M]). */
  predict(xNew: NDArray | number[][]): NDArray<FloatArray>;
  /** CG iterations (0 for 'nystrom'). */
  iterations: number;
  /** Worst relative residual ‖(αI + K) c − y‖ / ‖y‖ over the columns, of the exact system. */
  residual: number;
}

/** Fits (αI + K) c = y. */
export function kernelRidge(
  x: NDArray | number[][],
  y: NDArray | number[][],
  opts: KernelRidgeOptions,
): KernelRidgeModel {
  check(typeof opts === 'object' && opts !== null, 'kernelRidge: options { scale, alpha } are required');
  const xa = pointArray(x, 'kernelRidge(x)');
  const [N, D] = xa.shape as [number, number];
  const k = kernelOf(opts, 'kernelRidge');
  const { alpha } = opts;
  check(
    typeof alpha === 'number' && Number.isFinite(alpha) && alpha > 0,
    () => `kernelRidge: alpha must be a finite number > 0, got ${String(alpha)}`,
  );
  const method = opts.method ?? 'cg';
  check(
    method === 'cg' || method === 'nystrom',
    () => `kernelRidge: method must be 'cg' or 'nystrom', got ${String(method)}`,
  );
  const precond = opts.preconditioner ?? 'nystrom';
  check(
    precond === 'nystrom' || precond === 'none',
    () => `kernelRidge: preconditioner must be 'nystrom' or 'none', got ${String(precond)}`,
  );
  checkControl(opts, 'kernelRidge');
  const ya = toFloatArray(y, 'kernelRidge(y)');
  const vec = ya.shape.length === 1;
  check(
    ya.shape[0] === N && (vec || ya.shape.length === 2),
    () => `kernelRidge: y must be [${N}] or [${N}, E] (one row per point of x), got [${ya.shape.join(', ')}]`,
  );
  const E = vec ? 1 : ya.shape[1]!;
  check(E >= 1, 'kernelRidge: y needs at least one column');
  const bad = ya.data.findIndex((v) => !Number.isFinite(v));
  check(
    bad < 0,
    () => `kernelRidge: y has a non-finite value (${ya.data[bad]}) in row ${Math.floor(bad / E)}`,
  );
  // y far from magnitude 1 (its squares, the residuals' norms, beyond float64) is solved scaled by
  // 2^−ey, coef scaled back: the system is linear in y, the scaling exact (0 leaves the run as is).
  const ey = rangeExponent(ya.data);
  const rank = opts.rank === undefined ? Math.min(N, 100) : checkInt(opts.rank, 'kernelRidge: rank', 1, N);
  const seed = opts.seed ?? 0;
  check(Number.isInteger(seed), () => `kernelRidge: seed must be an integer, got ${String(seed)}`);
  const Ctor = xa.data.constructor as { new (len: number): FloatArray };
  const accumulator = opts.accumulator ?? (Ctor === Float32Array ? 'float64' : 'default');
  check(
    ['default', 'float64', 'kahan'].includes(accumulator),
    () => `kernelRidge: accumulator must be 'default', 'float64' or 'kahan', got ${String(accumulator)}`,
  );
  const eng: ReduceOptions = {
    accumulator,
    ...(opts.backend === undefined ? {} : { backend: opts.backend }),
  };
  const K = kernelMatrix(xa, xa, k);
  const apply = shiftedMatvec(K, alpha, N, E, Ctor, eng);
  const b = Float64Array.from(ya.data, (v) => (ey === 0 ? v : timesPow2(v, -ey)));

  const landmarks = drawLandmarks(N, rank, seed);
  let c: Float64Array;
  let iterations = 0;
  let residual: number;
  if (method === 'nystrom') {
    // (αI + U Λ Uᵀ)⁻¹ y = (y − U diag(λ/(λ+α)) Uᵀ y)/α, U from the explicit factor F [N, rank].
    const F = nystromFactor(kernelColumns(xa, landmarks, k, eng), N, landmarks, Ctor === Float32Array);
    const U = nystromFactorEigen(F, N, rank);
    c = lowRankUpdate(
      U,
      U.lambda.map((l) => -l / (l + alpha)),
      b,
      E,
    ).map((v) => v / alpha);
    residual = worstResidual(apply(c), b, E);
    check(
      Number.isFinite(residual) && c.every(Number.isFinite),
      () =>
        `kernelRidge: method 'nystrom' gave a solution beyond the float64 range (relative residual ${residual}): alpha ${alpha} is too small for this kernel matrix; increase alpha`,
    );
  } else {
    let precondition: ((r: Float64Array) => Float64Array) | undefined;
    if (precond === 'nystrom') {
      // P⁻¹ = (λ_q + α) U (Λ + αI)⁻¹ Uᵀ + (I − U Uᵀ)  (Frangella, Tropp, Udell), U implicit.
      const U = nystromEigen(xa, landmarks, k, eng);
      const last = U.lambda[U.q - 1] ?? 0;
      const d = U.lambda.map((l) => (last + alpha) / (l + alpha) - 1);
      precondition = (r) => lowRankUpdate(U, d, r, E);
    }
    const res = conjugateGradient({
      ...opts,
      n: N,
      E,
      b,
      apply,
      precondition,
      what: 'kernelRidge',
      hint: `increase alpha (now ${alpha})${precond === 'nystrom' ? ' or rank' : ", use preconditioner 'nystrom'"}, or raise tol or maxIter`,
    });
    c = res.x;
    iterations = res.iterations;
    residual = res.residual;
  }
  const coef = new Ctor(N * E);
  coef.set(ey === 0 ? c : c.map((v) => timesPow2(v, ey)));
  check(
    coef.every(Number.isFinite),
    () =>
      `kernelRidge: coef overflows ${Ctor === Float32Array ? 'float32' : 'float64'} (y up to ${maxAbs(ya.data)}, alpha ${alpha}); rescale y or increase alpha`,
  );
  const coefArr = { data: coef, shape: [N, E] };
  return {
    coef: { data: coef, shape: vec ? [N] : [N, E] },
    iterations,
    residual,
    predict(xNew) {
      const xn = pointArray(xNew, 'kernelRidge.predict(x)', D);
      const xs =
        xn.data instanceof Ctor
          ? xn
          : {
              data: Ctor === Float32Array ? Float32Array.from(xn.data) : Float64Array.from(xn.data),
              shape: xn.shape,
            };
      const out = kernelMatrix(xs, xa, k).matvec(coefArr, eng);
      return vec ? { data: out.data, shape: [out.shape[0]!] } : out;
    },
  };
}

/**
 * floor(log2 max |y|) when max |y| is outside [2^−64, 2^64] (and not 0), else 0: within that
 * range the CG vectors, which pass through the data dtype, stay within float32 too.
 */
function rangeExponent(y: FloatArray): number {
  const m = maxAbs(y);
  if (m === 0 || (m >= 2 ** -64 && m <= 2 ** 64)) return 0;
  return Math.floor(Math.log2(m));
}

/** max over columns of ‖Ac − b‖/‖b‖. */
function worstResidual(Ac: Float64Array, b: Float64Array, E: number): number {
  const num = new Float64Array(E);
  const den = new Float64Array(E);
  for (let t = 0; t < b.length; t++) {
    num[t % E]! += (Ac[t]! - b[t]!) ** 2;
    den[t % E]! += b[t]! ** 2;
  }
  let w = 0;
  for (let c = 0; c < E; c++) w = Math.max(w, den[c] === 0 ? 0 : Math.sqrt(num[c]! / den[c]!));
  return w;
}
