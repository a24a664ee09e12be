import { check } from '../errors.js';
import { isVar, mapDag, type Node, varCat, variablesOf } from '../formula/node.js';
import { op } from '../formula/opRegistry.js';
import { VarLike } from '../formula/ops/leaves.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { bindRows } from './bind.js';
import { type CgControl, conjugateGradient } from './cg.js';
import { host, type InputArray, toFloatArray } from './data.js';
import { evalReduction } from './lazyExpr.js';
import type { ReduceOptions } from './reduce.js';

/**
 * What the linear algebra needs of a symbolic matrix (a LazyTensor): its formula, its bound data
 * and its dimension. Reductions run through the host graph, so this layer sits below LazyTensor.
 */
export interface SymbolicMatrix {
  readonly formula: Node;
  readonly vars: ReadonlyMap<Node, InputArray>;
  readonly dim: number;
}

/** Rows of the i and j sides of a non-batched LazyTensor. */
export function sides(K: SymbolicMatrix): { nI: number; nJ: number } {
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
export function matvec(
  K: SymbolicMatrix,
  v: NDArray | number[][],
  opts?: ReduceOptions,
): NDArray<FloatArray> {
  check(K.dim === 1, () => `matvec: K must be scalar (dimension 1), got dimension ${K.dim}`);
  const va = toFloatArray(v, 'matvec(v)');
  const col = va.shape.length === 1 ? { data: va.data, shape: [va.shape[0]!, 1] } : va;
  const vj = bindRows(col, 'j', 'Vj()');
  const vars = new Map([...K.vars, ...vj.vars]);
  const out = evalReduction(op('Mult', [K.formula, vj.node]), vars, 'Sum', 'j', opts);
  return va.shape.length === 1 ? { data: out.data, shape: [out.shape[0]!] } : out;
}

/** Materialises F as a dense [N, M, dimF] array (small problems only). */
export function dense(K: SymbolicMatrix, opts?: ReduceOptions): NDArray<FloatArray> {
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
  const out = evalReduction(formula, vars, 'Sum', 'j', opts);
  return { data: out.data, shape: [nI, nJ, K.dim] };
}

/** Options of the conjugate-gradient solve. */
export interface SolveOptions extends ReduceOptions, CgControl {
  /**
   * Ridge α ≥ 0 of (αI + K) a = b. CG needs (α + λ_min)/(α + λ_max) far from the rounding
   * error: for kernels with k(x, x) = 1, α ≥ 1e-6 in float64 and α ≥ 1e-3 in float32 are safe
   * starting points (KeOps' 1e-10 makes CG stagnate; `solve` then stops with a report).
   */
  alpha: number;
}

/**
 * Solves (αI + K) a = b by conjugate gradient, all columns of b at once (one reduction per
 * iteration). K must be scalar, square and symmetric positive semi-definite. Stops with a
 * LazyTensorError on non-convergence, stagnation (`patience`) or divergence; `onProgress` sees
 * every iteration.
 */
export function solve(K: SymbolicMatrix, b: NDArray | number[][], opts: SolveOptions): NDArray<FloatArray> {
  check(K.dim === 1, () => `solve: K must be scalar (dimension 1), got dimension ${K.dim}`);
  check(
    typeof opts === 'object' && opts !== null,
    () =>
      `solve: expected options { alpha, tol?, maxIter?, ... }, got ${opts === null ? 'null' : typeof opts}`,
  );
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
  const bad = ba.data.findIndex((v) => !Number.isFinite(v));
  check(bad < 0, () => `solve: b has a non-finite value (${ba.data[bad]}) in row ${Math.floor(bad / E)}`);
  checkControl(opts, 'solve');
  const N = nI;
  const Ctor = ba.data.constructor as { new (len: number): FloatArray };
  const { x } = conjugateGradient({
    ...opts,
    n: N,
    E,
    b: Float64Array.from(ba.data),
    what: 'solve',
    hint: `increase alpha (now ${alpha}; for kernels with k(x, x) = 1 start from 1e-6 in float64, 1e-3 in float32${ba.data instanceof Float32Array ? ', or use float64 data' : ''}), or raise tol or maxIter`,
    apply: shiftedMatvec(K, alpha, N, E, Ctor, opts),
  });
  const out = new Ctor(N * E);
  out.set(x);
  return { data: out, shape: vec ? [N] : [N, E] };
}

/** Checks tol, maxIter, patience and onProgress of a CG call. */
export function checkControl(o: CgControl, what: string): void {
  check(
    o.tol === undefined || (typeof o.tol === 'number' && o.tol > 0 && o.tol < 1),
    () => `${what}: tol must be a number in (0, 1), got ${String(o.tol)}`,
  );
  for (const key of ['maxIter', 'patience'] as const) {
    const v = o[key];
    check(
      v === undefined || (Number.isInteger(v) && v >= 1),
      () => `${what}: ${key} must be an integer >= 1, got ${String(v)}`,
    );
  }
  check(
    o.onProgress === undefined || typeof o.onProgress === 'function',
    () => `${what}: onProgress must be a function, got ${typeof o.onProgress}`,
  );
}

/**
 * p ↦ (αI + K) p for row-major [N, E] float64 p: one reduction (K * Vj(p)).sum('j'), with p
 * passed in the dtype `Ctor` of K's data.
 */
export function shiftedMatvec(
  K: SymbolicMatrix,
  alpha: number,
  N: number,
  E: number,
  Ctor: { new (len: number): FloatArray },
  opts?: ReduceOptions,
): (p: Float64Array) => Float64Array {
  const pBuf = new Ctor(N * E);
  return (p) => {
    pBuf.set(p);
    const Kp = matvec(K, { data: pBuf, shape: [N, E] }, opts).data;
    const out = new Float64Array(N * E);
    for (let t = 0; t < N * E; t++) out[t] = Kp[t]! + alpha * p[t]!;
    return out;
  };
}
