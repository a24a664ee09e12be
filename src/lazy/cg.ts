import { LazyTensorError } from '../errors.js';

/** What `onProgress` receives after each conjugate-gradient iteration. */
export interface CgProgress {
  /** Iterations done (one operator application each). */
  iteration: number;
  /** Worst relative residual ‖r‖/‖b‖ over the columns. */
  residual: number;
  /** Relative residual of each column. */
  residuals: Float64Array;
}

/** Stopping rules and reporting shared by every conjugate-gradient solve. */
export interface CgControl {
  /** Relative residual per column (default 1e-6). */
  tol?: number;
  /** Iteration cap (default 10·N). */
  maxIter?: number;
  /**
   * Stagnation window: stop with an error when the worst relative residual has not dropped below
   * 0.9× its best value for this many iterations (default 200).
   */
  patience?: number;
  /** Called after each iteration; returning `false` stops the solve with an error. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing must type-check
  onProgress?: (p: CgProgress) => boolean | void;
}

/** A linear system for CG: n rows, E right-hand sides, row-major [n, E] Float64Arrays. */
export interface CgProblem extends CgControl {
  n: number;
  E: number;
  b: Float64Array;
  /** (αI + K) p for a row-major [n, E] p. */
  apply(p: Float64Array): ArrayLike<number>;
  /** Approximate inverse of the operator applied to r (preconditioner), or none. */
  precondition?(r: Float64Array): Float64Array;
  /** Name used in messages ('solve', 'kernelRidge'). */
  what: string;
  /** Extra hint appended to failure messages. */
  hint?: string;
}

/** Result of a CG solve. */
export interface CgResult {
  x: Float64Array;
  iterations: number;
  /** Worst relative residual over the columns. */
  residual: number;
}

/** A residual this many times ‖b‖ means CG has lost the system (rounding, or an indefinite K). */
const DIVERGED = 1e3;

/**
 * Preconditioned conjugate gradient, all columns at once (one operator application per
 * iteration). Stops when every column has ‖r‖ ≤ tol·‖b‖; throws a LazyTensorError that says what
 * happened when it hits maxIter, stagnates for `patience` iterations, diverges, or is stopped by
 * `onProgress`.
 */
export function conjugateGradient(pb: CgProblem): CgResult {
  const { n: N, E, b, what } = pb;
  const tol = pb.tol ?? 1e-6;
  const maxIter = pb.maxIter ?? 10 * N;
  const patience = pb.patience ?? 200;
  const M = pb.precondition ?? ((r: Float64Array) => r);
  const x = new Float64Array(N * E);
  const r = Float64Array.from(b);
  const bnorm = colNorms(b, E);
  let z = M(r);
  const p = Float64Array.from(z);
  let rz = colDots(r, z, E);
  const rel = new Float64Array(E);
  const update = (): number => {
    const rn = colNorms(r, E);
    let worst = 0;
    for (let c = 0; c < E; c++) {
      rel[c] = bnorm[c] === 0 ? 0 : rn[c]! / bnorm[c]!;
      worst = Math.max(worst, Number.isNaN(rel[c]!) ? Number.POSITIVE_INFINITY : rel[c]!);
    }
    return worst;
  };
  let worst = update();
  let best = worst;
  let bestAt = 0;
  let it = 0;
  const fail = (why: string): never => {
    throw new LazyTensorError(
      `${what}: conjugate gradient ${why} (relative residual ${worst.toExponential(3)} > tol ${tol} after ${it} iterations)${pb.hint ? `; ${pb.hint}` : ''}`,
    );
  };
  while (worst > tol) {
    if (it >= maxIter) fail(`did not converge in ${maxIter} iterations`);
    if (it - bestAt >= patience)
      fail(`stagnated: no 10% progress in the last ${patience} iterations (best ${best.toExponential(3)})`);
    const Ap = pb.apply(p);
    const pAp = colDots(p, Ap, E);
    const a = new Float64Array(E);
    for (let c = 0; c < E; c++) a[c] = rel[c]! <= tol || pAp[c] === 0 ? 0 : rz[c]! / pAp[c]!;
    for (let t = 0; t < N * E; t++) {
      const c = t % E;
      x[t]! += a[c]! * p[t]!;
      r[t]! -= a[c]! * Ap[t]!;
    }
    z = M(r);
    const rzNew = colDots(r, z, E);
    for (let t = 0; t < N * E; t++) {
      const c = t % E;
      p[t] = z[t]! + (rz[c] === 0 ? 0 : rzNew[c]! / rz[c]!) * p[t]!;
    }
    rz = rzNew;
    it++;
    worst = update();
    if (!(worst <= DIVERGED)) fail(`diverged`);
    if (worst < 0.9 * best) {
      best = worst;
      bestAt = it;
    }
    if (pb.onProgress && pb.onProgress({ iteration: it, residual: worst, residuals: rel.slice() }) === false)
      fail('was stopped by onProgress');
  }
  return { x, iterations: it, residual: worst };
}

function colDots(u: Float64Array, v: ArrayLike<number>, E: number): Float64Array {
  const out = new Float64Array(E);
  for (let t = 0; t < u.length; t++) out[t % E]! += u[t]! * v[t]!;
  return out;
}

function colNorms(u: Float64Array, E: number): Float64Array {
  return colDots(u, u, E).map(Math.sqrt);
}
