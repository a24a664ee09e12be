import { check, LazyTensorError } from '../errors.js';
import { isVar, mapDag, type Node, varCat, variablesOf } from '../formula/node.js';
import { VarLike } from '../formula/ops/leaves.js';
import { op } from '../formula/ops.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { host, type InputArray, toFloatArray } from './data.js';
import { LazyTensor, Vj } from './lazytensor.js';
import type { ReduceOptions } from './reduce.js';

/** Rows of the i and j sides of a non-batched LazyTensor. */
function sides(K: LazyTensor): { nI: number; nJ: number } {
  let nI = 1;
  let nJ = 1;
  for (const [v, a] of K.vars) {
    const c = varCat(v);
    if (c === 'p') continue;
    check(a.shape.length === 2, () => `expected non-batched data [n, d], got shape [${a.shape.join(', ')}]`);
    if (c === 'i') nI = a.shape[0]!;
    else nJ = a.shape[0]!;
  }
  return { nI, nJ };
}

/** (K * Vj(v)).sum('j') for a scalar K; v is [M] or [M, E]. */
export function matvec(K: LazyTensor, v: NDArray | number[][], opts?: ReduceOptions): NDArray<FloatArray> {
  check(K.dim === 1, () => `matvec: K must be scalar (dimension 1), got dimension ${K.dim}`);
  const va = toFloatArray(v, 'matvec(v)');
  const col = va.shape.length === 1 ? { data: va.data, shape: [va.shape[0]!, 1] } : va;
  const out = K.mul(Vj(col)).sum('j', opts);
  return va.shape.length === 1 ? { data: out.data, shape: [out.shape[0]!] } : out;
}

/** Materialises F as a dense [N, M, dimF] array (small problems only). */
export function dense(K: LazyTensor, opts?: ReduceOptions): NDArray<FloatArray> {
  const { nI, nJ } = sides(K);
  check(
    nI * nJ * K.dim <= 2 ** 28,
    () => `dense(): ${nI}×${nJ}×${K.dim} values is too large to materialise (limit 2^28)`,
  );
  // Every (i, j) pair becomes one row: i-data repeated, j-data tiled, all as i-variables.
  const vars = new Map<Node, InputArray>();
  const subst = new Map<Node, Node>();
  for (const [v, a] of K.vars) {
    const c = varCat(v);
    if (c === 'p') {
      vars.set(v, a);
      continue;
    }
    const d = v.dim;
    const src = host(a, 'dense()').data as FloatArray;
    const dst = new (src.constructor as { new (len: number): FloatArray })(nI * nJ * d);
    for (let i = 0; i < nI; i++) {
      for (let j = 0; j < nJ; j++) {
        const from = (c === 'i' ? i : j) * d;
        dst.set(src.subarray(from, from + d), (i * nJ + j) * d);
      }
    }
    const nv = VarLike(v, d, 'i');
    subst.set(v, nv);
    vars.set(nv, { data: dst, shape: [nI * nJ, d] });
  }
  const formula = mapDag(
    K.formula,
    (n) => (isVar(n) ? subst.get(n) : undefined),
    (name, args, params) => op(name, args, params),
  );
  const out = new LazyTensor(formula, vars).sum('j', opts);
  return { data: out.data, shape: [nI, nJ, K.dim] };
}

/** Options of the conjugate-gradient solve. */
export interface SolveOptions extends ReduceOptions {
  /** Ridge α > 0 of (αI + K) a = b. */
  alpha: number;
  /** Relative residual per column (default 1e-6). */
  tol?: number;
  /** Iteration cap (default 10·N). */
  maxIter?: number;
}

/**
 * Solves (αI + K) a = b by conjugate gradient, all columns of b at once (one reduction per
 * iteration). K must be scalar, square and symmetric positive semi-definite.
 */
export function solve(K: LazyTensor, b: NDArray | number[][], opts: SolveOptions): NDArray<FloatArray> {
  check(K.dim === 1, () => `solve: K must be scalar (dimension 1), got dimension ${K.dim}`);
  const { alpha } = opts;
  check(
    typeof alpha === 'number' && Number.isFinite(alpha) && alpha >= 0,
    () => `solve: alpha must be a finite number >= 0, got ${String(alpha)}`,
  );
  const { nI, nJ } = sides(K);
  check(nI === nJ, () => `solve: K must be square, got ${nI}×${nJ}`);
  check(
    variablesOf(K.formula).some((v) => varCat(v) === 'i') &&
      variablesOf(K.formula).some((v) => varCat(v) === 'j'),
    'solve: K must depend on both an i- and a j-variable',
  );
  const ba = toFloatArray(b, 'solve(b)');
  const vec = ba.shape.length === 1;
  const E = vec ? 1 : ba.shape[1]!;
  check(
    ba.shape[0] === nI && (vec || ba.shape.length === 2),
    () => `solve: b must be [${nI}] or [${nI}, E], got [${ba.shape.join(', ')}]`,
  );
  const tol = opts.tol ?? 1e-6;
  const maxIter = opts.maxIter ?? 10 * nI;
  const N = nI;
  const Ctor = ba.data.constructor as { new (len: number): FloatArray };
  const bd = ba.data;
  const x = new Float64Array(N * E);
  const r = Float64Array.from(bd);
  const p = Float64Array.from(bd);
  const rr = new Float64Array(E);
  const bnorm = new Float64Array(E);
  for (let t = 0; t < N * E; t++) {
    rr[t % E]! += r[t]! * r[t]!;
  }
  bnorm.set(rr.map(Math.sqrt));
  const done = (c: number) => Math.sqrt(rr[c]!) <= tol * bnorm[c]!;
  let it = 0;
  const pBuf = new Ctor(N * E);
  while (!Array.from({ length: E }, (_, c) => done(c)).every(Boolean)) {
    if (it >= maxIter) {
      const worst = Math.max(...Array.from({ length: E }, (_, c) => Math.sqrt(rr[c]!) / (bnorm[c]! || 1)));
      throw new LazyTensorError(
        `solve: conjugate gradient did not converge in ${maxIter} iterations (relative residual ${worst.toExponential(3)} > tol ${tol}); increase alpha, tol or maxIter`,
      );
    }
    pBuf.set(p);
    const Kp = matvec(K, { data: pBuf, shape: [N, E] }, opts).data;
    const pAp = new Float64Array(E);
    for (let t = 0; t < N * E; t++) pAp[t % E]! += p[t]! * (Kp[t]! + alpha * p[t]!);
    const a = Array.from({ length: E }, (_, c) => (done(c) || pAp[c] === 0 ? 0 : rr[c]! / pAp[c]!));
    const rrNew = new Float64Array(E);
    for (let t = 0; t < N * E; t++) {
      const c = t % E;
      x[t]! += a[c]! * p[t]!;
      r[t]! -= a[c]! * (Kp[t]! + alpha * p[t]!);
      rrNew[c]! += r[t]! * r[t]!;
    }
    for (let t = 0; t < N * E; t++) {
      const c = t % E;
      const beta = rr[c]! === 0 ? 0 : rrNew[c]! / rr[c]!;
      p[t] = r[t]! + beta * p[t]!;
    }
    rr.set(rrNew);
    it++;
  }
  const out = new Ctor(N * E);
  out.set(x);
  return { data: out, shape: vec ? [N] : [N, E] };
}
