import { check } from '../errors.js';
import type { DType } from '../ndarray.js';

/**
 * Stopping rule of the adjoint solves, by the dtype of the data. The products A·μ are engine
 * reductions in that dtype, so their rounding bounds the reachable residual (measured: about
 * 1e-8 relative in float32 at N = 20 … 1000, 1e-16 in float64). `tol`: the relative residual
 * that ends the solve. `floor`: a solve whose residual has stopped decreasing (at the rounding
 * level of A) also ends if its best residual is below it.
 */
export const RICHARDSON_TOL: Record<DType, { tol: number; floor: number }> = {
  float32: { tol: 2e-6, floor: 1e-4 },
  float64: { tol: 1e-14, floor: 1e-10 },
};
export const RICHARDSON_MAX_ITER = 200;
/** Iterations without halving the best residual that mean "stagnated" (the rate is ≤ 1/3 per iteration). */
const STALL = 10;

/**
 * Solves (I + λA) μ = r for A with spectrum in [0, 1] by Richardson iteration with step
 * 2/(2+λ) (rate λ/(2+λ) ≤ 1/3 for λ ≤ 1). Stops at the dtype's tolerance (RICHARDSON_TOL), or
 * when the residual stagnates below the floor; otherwise throws, naming `what`.
 */
export function richardson(
  r: Float64Array,
  A: (v: Float64Array) => Float64Array,
  lam: number,
  dtype: DType,
  what: string,
): Float64Array {
  const omega = 2 / (2 + lam);
  const { tol, floor } = RICHARDSON_TOL[dtype];
  let rn = 0;
  for (const v of r) rn = Math.max(rn, Math.abs(v));
  const mu = r.slice();
  if (rn === 0) return mu;
  let best = Number.POSITIVE_INFINITY;
  let stalled = 0;
  for (let it = 0; it < RICHARDSON_MAX_ITER; it++) {
    const Am = A(mu);
    let res = 0;
    for (let k = 0; k < mu.length; k++) {
      const e = r[k]! - mu[k]! - lam * Am[k]!;
      res = Math.max(res, Math.abs(e));
      mu[k] = mu[k]! + omega * e;
    }
    if (res <= tol * rn) return mu;
    check(
      Number.isFinite(res),
      () =>
        `${what}: its residual is not finite (${res}): the kernel sums overflow or the cost is not finite at some ` +
        'pair of points (a custom cost must be finite for every pair, x_i = x_i included)',
    );
    if (res < 0.5 * best) {
      best = res;
      stalled = 0;
    } else if (++stalled >= STALL && best <= floor * rn) {
      return mu;
    }
  }
  check(
    false,
    () =>
      `${what} did not converge: relative residual ${(best / rn).toExponential(2)} after ${RICHARDSON_MAX_ITER} ` +
      `iterations (wanted ${tol}, or a stagnating residual below ${floor}; is the cost symmetric and kernel-like?)`,
  );
  return mu;
}
