import { isDeviceBuffer } from '../backends/common/device.js';
import type { DeviceBuffer } from '../backends/types.js';
import { check, LazyTensorError } from '../errors.js';
import { type Cat, isVar, mapDag, type Node, varCat, variablesOf } from '../formula/node.js';
import { op } from '../formula/opRegistry.js';
import { VarLike } from '../formula/ops/leaves.js';
import { userOutputShape } from '../kernel/spec.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { REDUCTION_KINDS, type ReductionKind, reductionDef } from '../reduction/index.js';
import {
  type ArrayLike,
  checkDeviceInput,
  checkFiniteParam,
  type InputArray,
  paramArray,
  toFloatArray,
} from './data.js';
import { type ReduceExpr, requestOf, shapeOf as shapeOfExpr } from './graph.js';
import { type EvalOptions, LazyExpr, reductionExpr } from './lazyExpr.js';
import { dense, matvec, type SolveOptions, solve } from './linalg.js';
import type { ReduceOptions } from './reduce.js';
import { evaluateBoth, evaluateIndices } from './run.js';
import { freshVar } from './vars.js';

/** An operand: another LazyTensor or a JavaScript number (a runtime parameter). */
export type Operand = LazyTensor | number;
/** Axis of a reduction: the index that is summed/minimised away. */
export type Axis = 'i' | 'j';

/** Reduction names accepted by `reduction()`: KeOps' names, any case, with or without '_'. */
const KIND_ALIASES: Record<string, ReductionKind> = Object.fromEntries(
  REDUCTION_KINDS.flatMap((k) => [
    [k.toLowerCase(), k],
    [k.toLowerCase().replaceAll('_', ''), k],
  ]),
);

const NO_VARS: ReadonlyMap<Node, InputArray> = new Map();

function checkAxis(axis: unknown, what: string): asserts axis is Axis {
  check(axis === 'i' || axis === 'j', () => `${what}: axis must be 'i' or 'j', got ${String(axis)}`);
}

/**
 * A symbolic matrix (or tensor) F(x_i, y_j, p): a formula plus the arrays bound to its variables.
 * Methods build new LazyTensors; reductions (`sum('j')`, `logsumexp('i')`, ...) compute.
 */
export class LazyTensor {
  /** Bound arrays, once collected (see `vars`). */
  private bound: ReadonlyMap<Node, InputArray> | undefined;
  /** Until then: the operands whose variables this tensor's formula uses. */
  private parts: readonly LazyTensor[] = [];

  /** @internal use Vi, Vj, Pm. */
  constructor(
    readonly formula: Node,
    vars: ReadonlyMap<Node, InputArray>,
  ) {
    this.bound = vars;
  }

  /**
   * The arrays bound to the variables of the formula. Operations do not copy them (a chain of n
   * operations would copy O(n²) entries): they are collected from the operands on first use.
   */
  get vars(): ReadonlyMap<Node, InputArray> {
    if (!this.bound) {
      this.bound = LazyTensor.collect(this);
      this.parts = [];
    }
    return this.bound;
  }

  /** Dimension of the value at one (i, j) pair. */
  get dim(): number {
    return this.formula.dim;
  }

  // ---- construction helpers
  private static lift(x: Operand): LazyTensor {
    if (x instanceof LazyTensor) return x;
    if (typeof x === 'number') return Pm(x);
    throw new LazyTensorError(`expected a LazyTensor or a number, got ${x === null ? 'null' : typeof x}`);
  }

  private with(formula: Node, ...others: LazyTensor[]): LazyTensor {
    const t = new LazyTensor(formula, NO_VARS);
    t.bound = undefined;
    t.parts = [this, ...others];
    return t;
  }

  /** The variables of `root` and its operands, collected without recursion. */
  private static collect(root: LazyTensor): Map<Node, InputArray> {
    const out = new Map<Node, InputArray>();
    const seen = new Set<LazyTensor>();
    const stack: LazyTensor[] = [root];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      if (t.bound) {
        for (const [k, v] of t.bound) out.set(k, v);
        continue;
      }
      for (let p = t.parts.length - 1; p >= 0; p--) stack.push(t.parts[p]!);
    }
    return out;
  }

  /** Applies op `name` to this and other operands. */
  private apply(name: string, operands: Operand[] = [], params: number[] = []): LazyTensor {
    const ts = operands.map((o) => LazyTensor.lift(o));
    return this.with(op(name, [this.formula, ...ts.map((t) => t.formula)], params), ...ts);
  }

  // ---- arithmetic (vectors broadcast against dimension-1 operands)
  add(t: Operand): LazyTensor {
    return this.apply('Add', [t]);
  }
  sub(t: Operand): LazyTensor {
    return this.apply('Subtract', [t]);
  }
  mul(t: Operand): LazyTensor {
    return this.apply('Mult', [t]);
  }
  div(t: Operand): LazyTensor {
    return this.apply('Divide', [t]);
  }
  neg(): LazyTensor {
    return this.apply('Minus');
  }
  /** Integer power (compile-time exponent). */
  pow(n: number): LazyTensor {
    check(Number.isInteger(n), () => `pow(n): n must be an integer (use powf for real exponents), got ${n}`);
    return this.apply('Pow', [], [n]);
  }
  /** Real power x^t = exp(t log x). */
  powf(t: Operand): LazyTensor {
    return this.apply('Powf', [t]);
  }
  square(): LazyTensor {
    return this.apply('Square');
  }
  sqrt(): LazyTensor {
    return this.apply('Sqrt');
  }
  rsqrt(): LazyTensor {
    return this.apply('Rsqrt');
  }
  inv(): LazyTensor {
    return this.apply('Inv');
  }
  exp(): LazyTensor {
    return this.apply('Exp');
  }
  log(): LazyTensor {
    return this.apply('Log');
  }
  xlogx(): LazyTensor {
    return this.apply('XLogX');
  }
  abs(): LazyTensor {
    return this.apply('Abs');
  }
  sign(): LazyTensor {
    return this.apply('Sign');
  }
  step(): LazyTensor {
    return this.apply('Step');
  }
  relu(): LazyTensor {
    return this.apply('ReLU');
  }
  /** Clamps into [a, b]. */
  clamp(a: Operand, b: Operand): LazyTensor {
    return this.apply('Clamp', [a, b]);
  }
  /** this >= 0 ? a : b. */
  ifelse(a: Operand, b: Operand): LazyTensor {
    return this.apply('IfElse', [a, b]);
  }
  sin(): LazyTensor {
    return this.apply('Sin');
  }
  cos(): LazyTensor {
    return this.apply('Cos');
  }
  asin(): LazyTensor {
    return this.apply('Asin');
  }
  acos(): LazyTensor {
    return this.apply('Acos');
  }
  atan(): LazyTensor {
    return this.apply('Atan');
  }
  /** atan2(this, t). */
  atan2(t: Operand): LazyTensor {
    return this.apply('Atan2', [t]);
  }
  /** sin(x)/x, 1 at 0. */
  sinxdivx(): LazyTensor {
    return this.apply('SinXDivX');
  }
  floor(): LazyTensor {
    return this.apply('Floor');
  }
  /** Rounds to `d` decimals (half away from zero). */
  round(d = 0): LazyTensor {
    return this.apply('Round', [], [d]);
  }
  /** x - n floor((x - d)/n). */
  mod(n: Operand, d: Operand = 0): LazyTensor {
    return this.apply('Mod', [n, d]);
  }

  // ---- vectors
  /** Scalar product (KeOps `|`). */
  dot(t: Operand): LazyTensor {
    return this.apply('Scalprod', [t]);
  }
  sqnorm2(): LazyTensor {
    return this.apply('SqNorm2');
  }
  norm2(): LazyTensor {
    return this.apply('Norm2');
  }
  normalize(): LazyTensor {
    return this.apply('Normalize');
  }
  /** Squared distance |this - t|². */
  sqdist(t: Operand): LazyTensor {
    return this.apply('SqDist', [t]);
  }
  /** Weighted squared distance (this - t)ᵀ S (this - t); s isotropic (dim 1), diagonal (D) or full (D²). */
  weightedSqDist(t: Operand, s: Operand): LazyTensor {
    const tt = LazyTensor.lift(t);
    const ss = LazyTensor.lift(s);
    return this.with(op('WeightedSqDist', [ss.formula, this.formula, tt.formula]), tt, ss);
  }
  /** Weighted squared norm thisᵀ S this. */
  weightedSqNorm(s: Operand): LazyTensor {
    const ss = LazyTensor.lift(s);
    return this.with(op('WeightedSqNorm', [ss.formula, this.formula]), ss);
  }
  /** Component k. */
  elem(k: number): LazyTensor {
    return this.apply('Elem', [], [k]);
  }
  /** Components [start, start + len). */
  extract(start: number, len: number): LazyTensor {
    return this.apply('Extract', [], [start, len]);
  }
  concat(t: Operand): LazyTensor {
    return this.apply('Concat', [t]);
  }
  /** this (a row-major m×n matrix) times v (n). */
  matvecmult(v: Operand): LazyTensor {
    return this.apply('MatVecMult', [v]);
  }
  /** this (n) times v (a row-major n×m matrix). */
  vecmatmult(v: Operand): LazyTensor {
    return this.apply('VecMatMult', [v]);
  }
  /** Outer product, row-major. */
  tensorprod(t: Operand): LazyTensor {
    return this.apply('TensorProd', [t]);
  }
  /** One-hot vector of dimension d from a scalar (rounded) index. */
  onehot(d: number): LazyTensor {
    return this.apply('OneHot', [], [d]);
  }

  // ---- complex numbers: a complex vector of k components is a real one of dimension 2k, (re, im)
  // interleaved (KeOps' layout); a complex scalar (dimension 2) broadcasts in the binary ops.
  /** Real parts (2k -> k). */
  real(): LazyTensor {
    return this.apply('ComplexReal');
  }
  /** Imaginary parts (2k -> k). */
  imag(): LazyTensor {
    return this.apply('ComplexImag');
  }
  /** A real vector as complex numbers with zero imaginary parts (k -> 2k). */
  real2complex(): LazyTensor {
    return this.apply('Real2Complex');
  }
  /** A real vector as purely imaginary numbers (k -> 2k). */
  imag2complex(): LazyTensor {
    return this.apply('Imag2Complex');
  }
  /** exp(i·this) = cos + i sin of a real vector (k -> 2k). */
  exp1j(): LazyTensor {
    return this.apply('ComplexExp1j');
  }
  /** Complex conjugate. */
  conj(): LazyTensor {
    return this.apply('Conj');
  }
  /** Complex exponential. */
  complexExp(): LazyTensor {
    return this.apply('ComplexExp');
  }
  /** Moduli (2k -> k). */
  complexAbs(): LazyTensor {
    return this.apply('ComplexAbs');
  }
  /** Squared moduli (2k -> k). */
  complexSquareAbs(): LazyTensor {
    return this.apply('ComplexSquareAbs');
  }
  /** Arguments in (-π, π] (2k -> k). */
  complexAngle(): LazyTensor {
    return this.apply('ComplexAngle');
  }
  /** Sum of the complex components (2k -> 2). */
  complexSum(): LazyTensor {
    return this.apply('ComplexSum');
  }
  complexAdd(t: Operand): LazyTensor {
    return this.apply('ComplexAdd', [t]);
  }
  complexSub(t: Operand): LazyTensor {
    return this.apply('ComplexSubtract', [t]);
  }
  /** Complex product, component by component. */
  complexMul(t: Operand): LazyTensor {
    return this.apply('ComplexMult', [t]);
  }
  /** Complex quotient, component by component. */
  complexDiv(t: Operand): LazyTensor {
    return this.apply('ComplexDivide', [t]);
  }

  /**
   * `sum(-1)`, `min(-1)`, `max(-1)`: symbolic reductions over the vector dimension.
   * `sum('i' | 'j')`: the sum reduction over that index (computes).
   */
  sum(axis: -1): LazyTensor;
  sum(axis: Axis, opts?: ReduceOptions): NDArray<FloatArray>;
  sum(axis: -1 | Axis, opts?: ReduceOptions): LazyTensor | NDArray<FloatArray> {
    if (axis === -1) return this.apply('Sum');
    return this.reduction('Sum', axis, opts).eval();
  }
  min(axis: -1): LazyTensor;
  min(axis: Axis, opts?: ReduceOptions): NDArray<FloatArray>;
  min(axis: -1 | Axis, opts?: ReduceOptions): LazyTensor | NDArray<FloatArray> {
    if (axis === -1) return this.apply('Min');
    return this.reduction('Min', axis, opts).eval();
  }
  max(axis: -1): LazyTensor;
  max(axis: Axis, opts?: ReduceOptions): NDArray<FloatArray>;
  max(axis: -1 | Axis, opts?: ReduceOptions): LazyTensor | NDArray<FloatArray> {
    if (axis === -1) return this.apply('Max');
    return this.reduction('Max', axis, opts).eval();
  }

  /** (K * Vj(v)).sum('j') for a scalar K; v is [M] or [M, E]. */
  matvec(v: NDArray | number[][], opts?: ReduceOptions): NDArray<FloatArray> {
    return matvec(this, v, opts);
  }
  /** Solves (αI + K) a = b by conjugate gradient (K scalar, square, symmetric). */
  solve(b: NDArray | number[][], opts: SolveOptions): NDArray<FloatArray> {
    return solve(this, b, opts);
  }
  /** Materialises the matrix as a dense [N, M, dim] array (small problems). */
  dense(opts?: ReduceOptions): NDArray<FloatArray> {
    return dense(this, opts);
  }

  /** Swaps the roles of i and j. */
  t(): LazyTensor {
    const swap = (c: Cat): Cat => (c === 'i' ? 'j' : c === 'j' ? 'i' : c);
    const vars = new Map<Node, InputArray>();
    const formula = mapDag(
      this.formula,
      (n) => (isVar(n) ? VarLike(n, n.dim, swap(varCat(n))) : undefined),
      (name, args, params) => op(name, args, params),
    );
    for (const [v, a] of this.vars) vars.set(VarLike(v, v.dim, swap(varCat(v))), a);
    return new LazyTensor(formula, vars);
  }

  // ---- reductions
  /**
   * A lazy reduction: `eval()` computes it, `grad(v, e)` differentiates it. `kind` is a KeOps name
   * ('Sum', 'LogSumExp', 'SumSoftMaxWeight', ...) or the method name ('sum', 'logsumexp', ...).
   */
  reduction(
    kind: string,
    axis: Axis,
    opts: ReduceOptions & { weight?: LazyTensor; k?: number } = {},
  ): LazyExpr {
    checkAxis(axis, `reduction('${kind}')`);
    const red = resolveKind(kind);
    const { weight, k, ...ro } = opts;
    let vars = this.vars;
    let w: Node | undefined;
    if (weight !== undefined) {
      check(weight instanceof LazyTensor, 'reduction(): the weight must be a LazyTensor');
      vars = new Map([...this.vars, ...weight.vars]);
      w = weight.formula;
    }
    const kindW: ReductionKind = w ? (reductionDef(red).withWeight ?? red) : red;
    // Index-only reductions stand for their indices (eval gives int32 data; their gradient is zero).
    const take = reductionDef(kindW).outputs === 'indices' ? 'indices' : 'values';
    const expr = reductionExpr(this.formula, vars, kindW, axis, ro, { weight: w, k, take });
    return new LazyExpr(expr, userShape(expr));
  }

  /** log Σ exp(F) over `axis` (F scalar); with `weight` G: log Σ exp(F)·G, per component of G. */
  logsumexp(axis: Axis, opts: ReduceOptions & { weight?: LazyTensor } = {}): NDArray<FloatArray> {
    return this.reduction('LogSumExp', axis, opts).eval();
  }
  /** Σ softmax(F)·G over `axis` (F scalar). */
  sumSoftmaxWeight(weight: LazyTensor, axis: Axis, opts: ReduceOptions = {}): NDArray<FloatArray> {
    return this.reduction('SumSoftMaxWeight', axis, { ...opts, weight }).eval();
  }
  argmin(axis: Axis, opts?: ReduceOptions): NDArray<Int32Array> {
    return this.indices('ArgMin', axis, opts);
  }
  argmax(axis: Axis, opts?: ReduceOptions): NDArray<Int32Array> {
    return this.indices('ArgMax', axis, opts);
  }
  minArgmin(axis: Axis, opts?: ReduceOptions): { values: NDArray<FloatArray>; indices: NDArray<Int32Array> } {
    return this.both('Min_ArgMin', axis, opts);
  }
  maxArgmax(axis: Axis, opts?: ReduceOptions): { values: NDArray<FloatArray>; indices: NDArray<Int32Array> } {
    return this.both('Max_ArgMax', axis, opts);
  }
  /** K smallest values, sorted ascending: [N, K] for scalar F, [N, K, dimF] otherwise. */
  kmin(K: number, axis: Axis, opts: ReduceOptions = {}): NDArray<FloatArray> {
    return this.reduction('KMin', axis, { ...opts, k: K }).eval();
  }
  /** Indices of the K smallest values (F scalar), [N, K]. */
  argKmin(K: number, axis: Axis, opts?: ReduceOptions): NDArray<Int32Array> {
    return this.indices('ArgKMin', axis, opts, K);
  }
  kminArgKmin(
    K: number,
    axis: Axis,
    opts?: ReduceOptions,
  ): { values: NDArray<FloatArray>; indices: NDArray<Int32Array> } {
    return this.both('KMin_ArgKMin', axis, opts, K);
  }

  private indices(
    kind: ReductionKind,
    axis: Axis,
    opts: ReduceOptions = {},
    k?: number,
  ): NDArray<Int32Array> {
    checkAxis(axis, kind);
    const expr = reductionExpr(this.formula, this.vars, kind, axis, opts, { k, take: 'indices' });
    return reshape(evaluateIndices(expr), userShape(expr)) as NDArray<Int32Array>;
  }

  private both(kind: ReductionKind, axis: Axis, opts: ReduceOptions = {}, k?: number) {
    checkAxis(axis, kind);
    const vExpr = reductionExpr(this.formula, this.vars, kind, axis, opts, { k });
    const { values, indices } = evaluateBoth(vExpr);
    const shape = userShape(vExpr);
    return {
      values: reshape(values, shape) as NDArray<FloatArray>,
      indices: reshape(indices, shape) as NDArray<Int32Array>,
    };
  }
}

function resolveKind(kind: string): ReductionKind {
  const k =
    KIND_ALIASES[kind.toLowerCase()] ??
    (Object.values(KIND_ALIASES).includes(kind as ReductionKind) ? kind : undefined);
  if (!k) {
    throw new LazyTensorError(
      `unknown reduction '${kind}': expected one of ${[...new Set(Object.values(KIND_ALIASES))].join(', ')}`,
    );
  }
  return k as ReductionKind;
}

function userShape(expr: ReduceExpr): number[] {
  return userOutputShape(requestOf(expr), shapeOfExpr(expr));
}

function reshape<T extends NDArray>(a: T, shape: number[]): T {
  return { data: a.data, shape } as T;
}

// ---- variables

function varFrom(x: unknown, cat: 'i' | 'j', what: string): LazyTensor {
  if (isDeviceBuffer(x)) {
    const d = checkDeviceInput(x, what, 2);
    const v = freshVar(d.shape[d.shape.length - 1]!, cat);
    return new LazyTensor(v, new Map([[v, d]]));
  }
  if (Array.isArray(x) && x.length > 0 && !Array.isArray(x[0])) {
    throw new LazyTensorError(
      `${what}: expected rows (number[][]) or an NDArray, got a flat number[] of ${x.length} values; ` +
        `write [[${x[0]}], …] for ${x.length} points of dimension 1, or array(data, [N, D])`,
    );
  }
  let a = toFloatArray(x as ArrayLike, what);
  if (a.shape.length === 1) a = { data: a.data, shape: [a.shape[0]!, 1] };
  const dim = a.shape[a.shape.length - 1]!;
  check(
    dim >= 1,
    () =>
      `${what}: the last dimension (the vector dimension) must be >= 1, got shape [${a.shape.join(', ')}]`,
  );
  const v = freshVar(dim, cat);
  return new LazyTensor(v, new Map([[v, a]]));
}

/** An i-indexed variable: x of shape [N, D] (or [B..., N, D]; [N] means D = 1). */
export function Vi(x: NDArray | number[][] | DeviceBuffer): LazyTensor {
  return varFrom(x, 'i', 'Vi()');
}
/** A j-indexed variable: y of shape [M, D] (or [B..., M, D]). */
export function Vj(y: NDArray | number[][] | DeviceBuffer): LazyTensor {
  return varFrom(y, 'j', 'Vj()');
}
/** A parameter: the same for every (i, j); number, number[] or NDArray [D] (or [B..., D]). */
export function Pm(p: number | number[] | NDArray | DeviceBuffer): LazyTensor {
  if (isDeviceBuffer(p)) {
    const d = checkDeviceInput(p, 'Pm()', 1);
    const v = freshVar(d.shape[d.shape.length - 1]!, 'p');
    return new LazyTensor(v, new Map([[v, d]]));
  }
  let a: NDArray<FloatArray>;
  if (typeof p === 'number' || Array.isArray(p)) a = paramArray(p as number | number[]);
  else {
    a = toFloatArray(p, 'Pm()');
    checkFiniteParam(a.data, 'Pm()');
  }
  const dim = a.shape[a.shape.length - 1]!;
  check(dim >= 1, () => `Pm(): expected at least one value, got shape [${a.shape.join(', ')}]`);
  const v = freshVar(dim, 'p');
  return new LazyTensor(v, new Map([[v, a]]));
}

/** @internal */
export function _usesIndex(t: LazyTensor, cat: Cat): boolean {
  return variablesOf(t.formula).some((v) => varCat(v) === cat);
}
export type { EvalOptions };
