/**
 * A few eigenpairs of a symmetric operator by block Lanczos with full reorthogonalisation: the
 * Krylov basis Q grows by one block of b columns per operator call (b columns of one LazyTensor
 * matvec cost about one column: the kernel is evaluated once per (i, j) pair), every new block is
 * orthogonalised twice against the whole basis, and the Ritz pairs of T = Qᵀ A Q (a small dense
 * matrix, Jacobi) are accepted when their true residuals ‖A y − θ y‖ reach tol·‖A‖.
 */
import { check, LazyTensorError } from '../errors.js';
import { toFloatArray } from '../lazy/data.js';
import { LazyTensor, type ReduceOptions } from '../lazy/index.js';
import { matvec, sides } from '../lazy/linalg.js';
import { type FloatArray, isNDArray, type NDArray } from '../ndarray.js';
import { gaussian, mulberry32 } from '../random.js';
import type { AccumulatorKind } from '../reduction/types.js';
import { crossProduct, multiply, symmetricEigen } from './dense.js';
import { checkInt } from './kernels.js';
import { timesPow2 } from './tinyScale.js';

/** A symmetric linear operator given by its products. */
export interface SymmetricOperator {
  n: number;
  /** A v for v [n] (block size 1) or [n, b]; returns the same shape. */
  matvec(v: NDArray): NDArray;
}

/** Options of `eigsh`. */
export interface EigshOptions {
  /** 'largest' (default) or 'smallest' algebraic eigenvalues. */
  which?: 'largest' | 'smallest';
  /** Relative residual ‖A y − θ y‖ / ‖A‖ of every pair (default 1e-8; 1e-4 for float32 LazyTensor data). */
  tol?: number;
  /**
   * What tol is relative to: 'norm' (default), ‖A y − θ y‖ ≤ tol·‖A‖; or 'value', ‖A y − θ y‖ ≤
   * tol·|θ| for each pair (the relative accuracy of every eigenpair, stricter for small θ).
   */
  relativeTo?: 'norm' | 'value';
  /** Operator calls at most (default: enough for a basis of min(n, max(100, 15k)) columns). */
  maxIter?: number;
  /** Seed of the random starting block (default 0). */
  seed?: number;
  /** Columns per operator call (default min(k, 16) for a LazyTensor, 1 for { n, matvec }). */
  blockSize?: number;
  /** Engine backend of a LazyTensor's matvec. */
  backend?: string;
  /**
   * Starting block [n, w] (or [n]), w ≤ blockSize, e.g. approximate eigenvectors (see
   * `nystromEigen`): the rest of the first block is random. Default: a random block.
   */
  start?: NDArray | number[][];
  /** Accumulator of a LazyTensor's matvec sums ('float64' makes float32 data accurate to ~1e-7). */
  accumulator?: AccumulatorKind;
  /**
   * Soft locking (default false): each new block is made of the residuals A y − θ y of the wanted
   * Ritz pairs that have not yet converged (padded to a power of two, at most blockSize, with the
   * largest residuals of the converged ones), so that later operator calls multiply fewer
   * columns. While no pair has converged and blockSize = k this spans the same space as block
   * Lanczos; it pays off where a call's cost grows with its columns (Kahan or float64 sums).
   */
  lock?: boolean;
}

/** Eigenpairs: values largest first (or smallest first), vectors as orthonormal columns [n, k]. */
export interface EigshResult {
  values: Float64Array;
  vectors: NDArray<Float64Array>;
  /** Operator calls made. */
  iterations: number;
  /** Columns multiplied, one entry per operator call (the block widths). */
  widths: number[];
}

/** Row-major [n, w] block → [n, w] product, checked. */
type BlockOp = (V: Float64Array, w: number) => Float64Array;

function operatorOf(
  K: LazyTensor | SymmetricOperator,
  opts: EigshOptions,
): { n: number; op: BlockOp; f32: boolean } {
  if (K instanceof LazyTensor) {
    check(K.dim === 1, () => `eigsh: K must be scalar (dimension 1), got dimension ${K.dim}`);
    const { nI, nJ } = sides(K);
    const f32 = [...K.vars.values()].some((a) => isNDArray(a) && a.data instanceof Float32Array);
    check(nI === nJ, () => `eigsh: K must be square, got ${nI}×${nJ}`);
    const eng: ReduceOptions = {
      ...(opts.backend === undefined ? {} : { backend: opts.backend }),
      ...(opts.accumulator === undefined ? {} : { accumulator: opts.accumulator }),
    };
    const Ctor = f32 ? Float32Array : Float64Array;
    return {
      n: nI,
      f32,
      op: (V, w) => Float64Array.from(matvec(K, { data: Ctor.from(V), shape: [nI, w] }, eng).data),
    };
  }
  check(
    typeof K === 'object' && K !== null && typeof K.matvec === 'function',
    'eigsh: K must be a LazyTensor or an operator { n, matvec }',
  );
  const n = checkInt(K.n, 'eigsh: operator n', 1, 2 ** 31 - 1);
  return {
    n,
    f32: false,
    op: (V, w) => {
      const out = K.matvec({ data: V, shape: w === 1 ? [n] : [n, w] });
      check(
        isNDArray(out) &&
          out.data.length === n * w &&
          !(out.data instanceof BigInt64Array || out.data instanceof BigUint64Array),
        () =>
          `eigsh: matvec must return ${n * w} values (shape [${w === 1 ? n : `${n}, ${w}`}]) of a number array, got ${isNDArray(out) ? `${out.data.length} in a ${out.data.constructor.name}` : typeof out}`,
      );
      const res = Float64Array.from(out.data as FloatArray);
      check(res.every(Number.isFinite), 'eigsh: matvec returned a non-finite value');
      return res;
    },
  };
}

/** The k largest (or smallest) eigenpairs of a symmetric K. */
export function eigsh(K: LazyTensor | SymmetricOperator, k: number, opts: EigshOptions = {}): EigshResult {
  check(typeof opts === 'object' && opts !== null, 'eigsh: options must be an object');
  const { n, op: raw, f32 } = operatorOf(K, opts);
  // An operator far from norm 1 (squares of its products beyond float64) runs as A·2^−e, e set by
  // the first product (0 when that is in range: the run is then as without this step); the
  // eigenvectors are the same and the eigenvalues scale back exactly.
  let e: number | undefined;
  const op: BlockOp = (V, w) => {
    const W = raw(V, w);
    e ??= rangeExponent(W);
    if (e !== 0) for (let t = 0; t < W.length; t++) W[t] = timesPow2(W[t]!, -e);
    return W;
  };
  checkInt(k, 'eigsh: k', 1, n);
  const which = opts.which ?? 'largest';
  check(
    which === 'largest' || which === 'smallest',
    () => `eigsh: which must be 'largest' or 'smallest', got ${String(which)}`,
  );
  const tol = opts.tol ?? (f32 ? 1e-4 : 1e-8);
  check(
    typeof tol === 'number' && tol > 0 && tol < 1,
    () => `eigsh: tol must be in (0, 1), got ${String(tol)}`,
  );
  const relativeTo = opts.relativeTo ?? 'norm';
  check(
    relativeTo === 'norm' || relativeTo === 'value',
    () => `eigsh: relativeTo must be 'norm' or 'value', got ${String(relativeTo)}`,
  );
  const b = opts.blockSize ?? (K instanceof LazyTensor ? Math.min(k, 16) : 1);
  checkInt(b, 'eigsh: blockSize', 1, n);
  const cap = Math.min(n, Math.max(100, 15 * k));
  const maxIter = opts.maxIter ?? Math.ceil(cap / b) + 1;
  checkInt(maxIter, 'eigsh: maxIter', 1, 2 ** 31 - 1);
  const lock = opts.lock ?? false;
  check(typeof lock === 'boolean', () => `eigsh: lock must be a boolean, got ${String(lock)}`);
  const seed = opts.seed ?? 0;
  check(Number.isInteger(seed), () => `eigsh: seed must be an integer, got ${String(seed)}`);
  const g = gaussian(mulberry32(seed));

  const Q: { v: Float64Array; w: number }[] = [];
  const AQ: Float64Array[] = [];
  let m = 0;
  let T = new Float64Array(0);
  let next = orthonormalBlock(startBlock(opts.start, n, b, g), n, b, Q, g);
  let worst = Number.POSITIVE_INFINITY;
  const widths: number[] = [];
  for (let it = 1; it <= maxIter; it++) {
    const w = next.w;
    const W = op(next.v, w);
    widths.push(w);
    // Grow T = Qᵀ A Q by the new block's column (and, by symmetry, row).
    const m2 = m + w;
    const T2 = new Float64Array(m2 * m2);
    for (let a = 0; a < m; a++) T2.set(T.subarray(a * m, a * m + m), a * m2);
    Q.push(next);
    AQ.push(W);
    let off = 0;
    for (const blk of Q) {
      const C = crossProduct(blk.v, blk.w, W, w, n);
      for (let p = 0; p < blk.w; p++) {
        for (let q = 0; q < w; q++) {
          const val = off === m ? 0.5 * (C[p * w + q]! + C[q * w + p]!) : C[p * w + q]!;
          T2[(off + p) * m2 + m + q] = val;
          T2[(m + q) * m2 + off + p] = val;
        }
      }
      off += blk.w;
    }
    T = T2;
    m = m2;
    // Ritz pairs of the wanted end of the spectrum.
    const { values, vectors } = symmetricEigen(T, m);
    const pick = Array.from({ length: k }, (_, i) => (which === 'largest' ? i : m - 1 - i));
    const theta = Float64Array.from(pick, (i) => values[i]!);
    const S = new Float64Array(m * k);
    for (let r = 0; r < m; r++) pick.forEach((i, c) => (S[r * k + c] = vectors[r * m + i]!));
    const Y = combine(
      Q.map((q) => q.v),
      Q.map((q) => q.w),
      S,
      k,
      n,
    );
    const AY = combine(
      AQ,
      Q.map((q) => q.w),
      S,
      k,
      n,
    );
    const norm = Math.max(Math.abs(values[0]!), Math.abs(values[m - 1]!));
    worst = 0;
    const resid = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (AY[i * k + c]! - theta[c]! * Y[i * k + c]!) ** 2;
      const scale = relativeTo === 'value' ? Math.abs(theta[c]!) : norm;
      resid[c] = Math.sqrt(s) / (scale || 1);
      worst = Math.max(worst, resid[c]!);
    }
    if (worst <= tol || m === n) {
      const values = e ? theta.map((v) => timesPow2(v, e!)) : theta;
      return { values, vectors: { data: Y, shape: [n, k] }, iterations: it, widths };
    }
    // Next block: W (or, locking, the residuals still above tol) orthogonalised twice against the
    // basis, then within itself.
    const V = lock ? residualBlock(AY, Y, theta, resid, tol, b) : W;
    next = orthonormalBlock(V, n, Math.min(V.length / n, n - m), Q, g);
  }
  throw new LazyTensorError(
    `eigsh: ${k} ${which} eigenpairs did not converge in ${maxIter} operator calls (basis of ${m} vectors): worst relative residual ${worst.toExponential(3)} > tol ${tol}; raise maxIter or tol`,
  );
}

/**
 * Exponent e with max |W| · 2^−e in [1, 2) when max |W| is outside [2^−256, 2^256] (the squares
 * of the products, and of the residuals, then stay within float64), else 0.
 */
function rangeExponent(W: Float64Array): number {
  let m = 0;
  for (let t = 0; t < W.length; t++) m = Math.max(m, Math.abs(W[t]!));
  if (m === 0 || (m >= 2 ** -256 && m <= 2 ** 256)) return 0;
  return Math.floor(Math.log2(m));
}

/**
 * Locking's next block [n, width]: the residuals A y − θ y of the pairs above tol first (in
 * order), then those of the converged pairs with the largest residuals, width the least power of
 * two (or b) that holds the unconverged ones (few distinct widths: each compiles one kernel).
 */
function residualBlock(
  AY: Float64Array,
  Y: Float64Array,
  theta: Float64Array,
  resid: Float64Array,
  tol: number,
  b: number,
): Float64Array {
  const k = theta.length;
  const n = Y.length / k;
  const cols = Array.from({ length: k }, (_, c) => c);
  const open = cols.filter((c) => resid[c]! > tol);
  const done = cols.filter((c) => resid[c]! <= tol).sort((p, q) => resid[q]! - resid[p]!);
  let width = 1;
  while (width < open.length) width *= 2;
  const pick = [...open, ...done].slice(0, Math.min(width, b, k));
  const w = pick.length;
  const R = new Float64Array(n * w);
  for (let i = 0; i < n; i++)
    pick.forEach((c, j) => (R[i * w + j] = AY[i * k + c]! - theta[c]! * Y[i * k + c]!));
  return R;
}

/** The first block [n, b]: the columns of `start`, then random columns. */
function startBlock(start: EigshOptions['start'], n: number, b: number, g: () => number): Float64Array {
  const out = Float64Array.from({ length: n * b }, g);
  if (start === undefined) return out;
  const s = toFloatArray(start, 'eigsh(start)');
  const w = s.shape.length === 1 ? 1 : s.shape[1]!;
  check(
    s.shape[0] === n && s.shape.length <= 2 && w <= b,
    () => `eigsh: start must be [${n}] or [${n}, w] with w ≤ blockSize ${b}, got [${s.shape.join(', ')}]`,
  );
  const bad = s.data.findIndex((v) => !Number.isFinite(v));
  check(bad < 0, () => `eigsh: start has a non-finite value (${s.data[bad]}) at index ${bad}`);
  for (let i = 0; i < n; i++) for (let c = 0; c < w; c++) out[i * b + c] = s.data[i * w + c]!;
  return out;
}

/** Σ_a Q_a S_a for blocks Q_a [n, w_a] and the matching row blocks of S [m, k]. */
function combine(
  blocks: Float64Array[],
  widths: number[],
  S: Float64Array,
  k: number,
  n: number,
): Float64Array {
  const out = new Float64Array(n * k);
  let off = 0;
  blocks.forEach((B, a) => {
    const w = widths[a]!;
    const part = multiply(B, w, S.subarray(off * k, (off + w) * k), k, n);
    for (let t = 0; t < n * k; t++) out[t]! += part[t];
    off += w;
  });
  return out;
}

/**
 * The first w columns of V [n, wV], orthogonalised (twice) against the basis and orthonormalised
 * among themselves; a column that vanishes (the Krylov space is invariant) is replaced by a random
 * one. Returns a new [n, w] block.
 */
function orthonormalBlock(
  V: Float64Array,
  n: number,
  w: number,
  Q: { v: Float64Array; w: number }[],
  g: () => number,
): { v: Float64Array; w: number } {
  const wV = V.length / n;
  const out = new Float64Array(n * w);
  const col = new Float64Array(n);
  for (let c = 0; c < w; c++) {
    for (let i = 0; i < n; i++) col[i] = V[i * wV + c]!;
    for (let attempt = 0; ; attempt++) {
      const before = Math.sqrt(col.reduce((s, x) => s + x * x, 0));
      for (let pass = 0; pass < 2; pass++) {
        for (const blk of Q) project(col, blk.v, blk.w, n);
        project(col, out, c, n, w);
      }
      const after = Math.sqrt(col.reduce((s, x) => s + x * x, 0));
      if (after > 1e-10 * before && after > 0) {
        for (let i = 0; i < n; i++) out[i * w + c] = col[i]! / after;
        break;
      }
      check(attempt < 10, 'eigsh: could not extend the Krylov basis');
      for (let i = 0; i < n; i++) col[i] = g();
    }
  }
  return { v: out, w };
}

/** col −= B (Bᵀ col) for the first `w` columns of the row-major B [n, stride]. */
function project(col: Float64Array, B: Float64Array, w: number, n: number, stride = w): void {
  if (w === 0) return;
  const coef = new Float64Array(w);
  for (let i = 0; i < n; i++) {
    const x = col[i]!;
    for (let p = 0; p < w; p++) coef[p]! += B[i * stride + p]! * x;
  }
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let p = 0; p < w; p++) s += B[i * stride + p]! * coef[p]!;
    col[i]! -= s;
  }
}
