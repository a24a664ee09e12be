import { check, LazyTensorError } from '../../errors.js';
import type { FloatArray } from '../../ndarray.js';
import { type SparsePlan, sparsePlan } from './sparsePlan.js';
import { checkBalanced, checkWeights } from './validate.js';

/** Options of `wasserstein1D`. */
export interface OneDOptions {
  /** Weights of x (default uniform 1/N). */
  a?: FloatArray | number[];
  /** Weights of y (default uniform 1/M). */
  b?: FloatArray | number[];
  /** Exponent p ≥ 1 of the cost |x − y|^p / p (default 2). */
  p?: number;
  /** Also return the plan and the dual potentials (default true). */
  potentials?: boolean;
}

/** Result of exact 1-D optimal transport. */
export interface OneDResult {
  /** Σ π_ij |x_i − y_j|^p / p (GeomLoss units: ½|x − y|² for p = 2). */
  value: number;
  /** Dual potentials with f_i + g_j ≤ |x_i − y_j|^p / p, equality on the plan's support. */
  f?: Float64Array;
  g?: Float64Array;
  /** The monotone (north-west corner on sorted points) plan, at most N + M − 1 entries. */
  plan?: SparsePlan;
}

/** A value for an error message: numbers as they are, anything else by its kind. */
function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `an array [${v.length}]`;
  if (v !== null && typeof v === 'object' && 'shape' in v)
    return `an NDArray [${String((v as { shape: unknown }).shape)}]`;
  return v === null ? 'null' : typeof v;
}

/** Sorts indices by value (stable). */
function argsort(v: ArrayLike<number>): Int32Array {
  const idx = new Int32Array(v.length);
  for (let k = 0; k < idx.length; k++) idx[k] = k;
  return idx.sort((p, q) => v[p]! - v[q]! || p - q);
}

function uniform(n: number): Float64Array {
  return new Float64Array(n).fill(1 / n);
}

/**
 * Exact optimal transport between weighted 1-D point clouds, by sorting: for any convex cost
 * |x − y|^p / p (p ≥ 1) the monotone coupling of the quantile functions is optimal. O((N+M) log)
 * time. Units are GeomLoss' (cost |x − y|^p / p). Balanced: masses must match (relative 1e-6).
 */
export function wasserstein1D(
  x: FloatArray | number[],
  y: FloatArray | number[],
  opts: OneDOptions = {},
): OneDResult {
  for (const [name, v] of [
    ['x', x],
    ['y', y],
  ] as const)
    check(
      Array.isArray(v) || v instanceof Float64Array || v instanceof Float32Array,
      () =>
        `wasserstein1D: ${name} must be a number[], Float64Array or Float32Array of 1-D points, got ${describe(v)}`,
    );
  const n = x.length;
  const m = y.length;
  check(n > 0 && m > 0, () => `wasserstein1D: expected non-empty point clouds, got ${n} and ${m} points`);
  const p = opts.p ?? 2;
  check(Number.isFinite(p) && p >= 1, () => `wasserstein1D: p must be a number >= 1, got ${p}`);
  for (let i = 0; i < n; i++)
    check(Number.isFinite(x[i]), () => `wasserstein1D: x[${i}] is not a finite number (${describe(x[i])})`);
  for (let j = 0; j < m; j++)
    check(Number.isFinite(y[j]), () => `wasserstein1D: y[${j}] is not a finite number (${describe(y[j])})`);
  const a = opts.a ?? uniform(n);
  const b = opts.b ?? uniform(m);
  checkWeights(a, 'wasserstein1D: a', n);
  checkWeights(b, 'wasserstein1D: b', m);
  const scale = checkBalanced(a, b, 'wasserstein1D');
  const res = monotonePlan(x, y, a, b, scale, p, opts.potentials ?? true);
  checkFiniteResult(res, x, y, p);
  return res;
}

/**
 * The value and potentials are sums and differences of costs |x − y|^p / p: finite unless the
 * costs overflow float64 (then the value is +∞ and the potentials ∞ − ∞ = NaN).
 */
function checkFiniteResult(r: OneDResult, x: ArrayLike<number>, y: ArrayLike<number>, p: number): void {
  let ok = Number.isFinite(r.value);
  for (const v of [r.f, r.g]) if (v) for (let k = 0; ok && k < v.length; k++) ok = Number.isFinite(v[k]);
  if (ok) return;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const c of [x, y])
    for (let k = 0; k < c.length; k++) {
      lo = Math.min(lo, c[k]!);
      hi = Math.max(hi, c[k]!);
    }
  throw new LazyTensorError(
    `wasserstein1D: the costs |x − y|^p / p (p = ${p}) overflow float64 for points in [${lo}, ${hi}]: ` +
      'rescale the coordinates (the value scales by the factor^p)',
  );
}

/** The north-west corner rule on sorted points, with the dual potentials of its staircase basis. */
function monotonePlan(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  scale: number,
  p: number,
  withPotentials: boolean,
): OneDResult {
  const n = x.length;
  const m = y.length;
  const cost =
    p === 2
      ? (i: number, j: number) => 0.5 * (x[i]! - y[j]!) ** 2
      : p === 1
        ? (i: number, j: number) => Math.abs(x[i]! - y[j]!)
        : (i: number, j: number) => Math.abs(x[i]! - y[j]!) ** p / p;
  const sx = argsort(x);
  const sy = argsort(y);
  const f = new Float64Array(n);
  const g = new Float64Array(m);
  const rows: number[] = [];
  const cols: number[] = [];
  const mass: number[] = [];
  let value = 0;
  let ii = 0;
  let jj = 0;
  let i = sx[0]!;
  let j = sy[0]!;
  let ra = a[i]!;
  let rb = b[j]! * scale;
  f[i] = 0;
  g[j] = cost(i, j);
  for (;;) {
    const t = Math.min(ra, rb);
    if (t > 0) {
      value += t * cost(i, j);
      if (withPotentials) {
        rows.push(i);
        cols.push(j);
        mass.push(t);
      }
    }
    ra -= t;
    rb -= t;
    // Advance the exhausted side(s); the last point of a side absorbs rounding leftovers.
    const moveI = ii + 1 < n && (ra <= 0 || jj + 1 >= m);
    const moveJ = jj + 1 < m && (rb <= 0 || ii + 1 >= n);
    if (!moveI && !moveJ) break;
    if (moveI) {
      const prevJ = j;
      ii++;
      i = sx[ii]!;
      ra = a[i]!;
      // Tight with the current column (a zero-flow basic arc when both sides advance).
      f[i] = cost(i, prevJ) - g[prevJ]!;
    }
    if (moveJ) {
      jj++;
      j = sy[jj]!;
      rb = b[j]! * scale;
      g[j] = cost(i, j) - f[i]!;
    }
  }
  if (!withPotentials) return { value };
  // Symmetric normalisation: <a, f> = <b, g>.
  let fa = 0;
  let gb = 0;
  let ma = 0;
  for (let k = 0; k < n; k++) {
    fa += a[k]! * f[k]!;
    ma += a[k]!;
  }
  for (let k = 0; k < m; k++) gb += b[k]! * scale * g[k]!;
  const shift = (gb - fa) / (2 * ma);
  for (let k = 0; k < n; k++) f[k] = f[k]! + shift;
  for (let k = 0; k < m; k++) g[k] = g[k]! - shift;
  return { value, f, g, plan: sparsePlan(n, m, rows, cols, mass) };
}
