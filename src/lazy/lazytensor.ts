import { check, LazyTensorError } from '../errors.js';
import type { Node } from '../formula/node.js';
import { type ReductionRequest, userOutputShape } from '../kernel/spec.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import { REDUCTION_KINDS, type ReductionKind, reductionDef } from '../reduction/index.js';
import { ComplexOps } from './complexOps.js';
import type { InputArray } from './data.js';
import { userShapeOf } from './graph.js';
import { type EvalOptions, LazyExpr, reductionExpr } from './lazyExpr.js';
import { dense, matvec, type SolveOptions, solve } from './linalg.js';
import { type ReduceOptions, reduce } from './reduce.js';
import { evaluateBoth, evaluateIndices } from './run.js';

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

function checkAxis(axis: unknown, what: string): asserts axis is Axis {
  check(axis === 'i' || axis === 'j', () => `${what}: axis must be 'i' or 'j', got ${String(axis)}`);
}

/**
 * A symbolic matrix (or tensor) F(x_i, y_j, p): a formula plus the arrays bound to its variables.
 * Methods build new LazyTensors (the symbolic operations: SymbolicOps, ComplexOps); reductions
 * (`sum('j')`, `logsumexp('i')`, ...) compute.
 */
export class LazyTensor<T extends FloatArray = FloatArray> extends ComplexOps {
  /** @internal use Vi, Vj, Pm. */
  // biome-ignore lint/complexity/noUselessConstructor: marks the constructor internal
  constructor(formula: Node, vars: ReadonlyMap<Node, InputArray>) {
    super(formula, vars);
  }

  protected make(formula: Node, vars: ReadonlyMap<Node, InputArray>): this {
    return new LazyTensor(formula, vars) as this;
  }

  /**
   * `sum(-1)`, `min(-1)`, `max(-1)`: symbolic reductions over the vector dimension.
   * `sum('i' | 'j')`: the sum reduction over that index (computes).
   */
  sum(axis: -1): this;
  sum(axis: Axis, opts?: ReduceOptions): NDArray<T>;
  sum(axis: -1 | Axis, opts?: ReduceOptions): this | NDArray<T> {
    if (axis === -1) return this.apply('Sum');
    return this.evalReduction('Sum', axis, opts);
  }
  min(axis: -1): this;
  min(axis: Axis, opts?: ReduceOptions): NDArray<T>;
  min(axis: -1 | Axis, opts?: ReduceOptions): this | NDArray<T> {
    if (axis === -1) return this.apply('Min');
    return this.evalReduction('Min', axis, opts);
  }
  max(axis: -1): this;
  max(axis: Axis, opts?: ReduceOptions): NDArray<T>;
  max(axis: -1 | Axis, opts?: ReduceOptions): this | NDArray<T> {
    if (axis === -1) return this.apply('Max');
    return this.evalReduction('Max', axis, opts);
  }

  /** (K * Vj(v)).sum('j') for a scalar K; v is [M] or [M, E]. */
  matvec(v: NDArray | number[][], opts?: ReduceOptions): NDArray<T> {
    return matvec(this, v, opts) as NDArray<T>;
  }
  /** Solves (αI + K) a = b by conjugate gradient (K scalar, square, symmetric). */
  solve(b: NDArray | number[][], opts: SolveOptions): NDArray<FloatArray> {
    return solve(this, b, opts);
  }
  /** Materialises the matrix as a dense [N, M, dim] array (small problems). */
  dense(opts?: ReduceOptions): NDArray<T> {
    return dense(this, opts) as NDArray<T>;
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
  ): LazyExpr<T> {
    const r = this.request(kind, axis, opts);
    const expr = reductionExpr(this.formula, r.vars, r.kind, axis, r.opts, {
      weight: r.weight,
      k: r.k,
      take: r.take,
    });
    return new LazyExpr<T>(expr, userShapeOf(expr));
  }

  /**
   * `reduction(kind, axis, opts).evalAsync()`: the reduction computed without blocking the
   * calling thread (see LazyExpr.evalAsync). Its result is that of `eval()`: values, or indices
   * for the index reductions ('argmin', 'argKmin', ...); K is `opts.k`.
   */
  async reduceAsync(
    kind: string,
    axis: Axis,
    opts: ReduceOptions & { weight?: LazyTensor; k?: number } = {},
  ): Promise<NDArray<T>> {
    return this.reduction(kind, axis, opts).evalAsync();
  }

  /** The reduction `reduction(kind, axis, opts)` asks for: kind resolved, weight merged in. */
  private request(
    kind: string,
    axis: Axis,
    opts: ReduceOptions & { weight?: LazyTensor; k?: number },
  ): ReductionRequest & {
    vars: ReadonlyMap<Node, InputArray>;
    opts: ReduceOptions;
    take: 'values' | 'indices';
  } {
    checkAxis(axis, `reduction('${kind}')`);
    // null means no options, as in the reductions that spread them ({ ...opts, k }).
    check(
      opts === null || typeof opts === 'object',
      () => `reduction('${kind}'): options must be an object, got ${typeof opts}`,
    );
    const red = resolveKind(kind);
    const { weight, k, ...ro } = opts ?? {};
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
    return { formula: this.formula, weight: w, kind: kindW, k, axis, vars, opts: ro, take };
  }

  /**
   * `reduction(kind, axis, opts).eval()` as one `reduce()` call, without the lazy graph (nothing
   * to differentiate): the per-call path of `sum('j')` in a user loop. Same checks, same result.
   */
  private evalReduction(
    kind: string,
    axis: Axis,
    opts: ReduceOptions & { weight?: LazyTensor; k?: number } = {},
  ): NDArray<T> {
    const r = this.request(kind, axis, opts);
    if (r.take === 'indices') return this.reduction(kind, axis, opts).eval();
    const { formula, weight, k } = r;
    const res = reduce({ formula, weight, kind: r.kind, k, axis, data: r.vars, opts: r.opts });
    const values = res.values!;
    return { data: values.data as T, shape: userOutputShape(r, values.shape) };
  }

  /** log Σ exp(F) over `axis` (F scalar); with `weight` G: log Σ exp(F)·G, per component of G. */
  logsumexp(axis: Axis, opts: ReduceOptions & { weight?: LazyTensor } = {}): NDArray<T> {
    return this.evalReduction('LogSumExp', axis, opts);
  }
  /** Σ softmax(F)·G over `axis` (F scalar). */
  sumSoftmaxWeight(weight: LazyTensor, axis: Axis, opts: ReduceOptions = {}): NDArray<T> {
    return this.evalReduction('SumSoftMaxWeight', axis, { ...opts, weight });
  }
  argmin(axis: Axis, opts?: ReduceOptions): NDArray<Int32Array> {
    return this.indices('ArgMin', axis, opts);
  }
  argmax(axis: Axis, opts?: ReduceOptions): NDArray<Int32Array> {
    return this.indices('ArgMax', axis, opts);
  }
  minArgmin(axis: Axis, opts?: ReduceOptions): { values: NDArray<T>; indices: NDArray<Int32Array> } {
    return this.both('Min_ArgMin', axis, opts);
  }
  maxArgmax(axis: Axis, opts?: ReduceOptions): { values: NDArray<T>; indices: NDArray<Int32Array> } {
    return this.both('Max_ArgMax', axis, opts);
  }
  /** K smallest values, sorted ascending: [N, K] for scalar F, [N, K, dimF] otherwise. */
  kmin(K: number, axis: Axis, opts: ReduceOptions = {}): NDArray<T> {
    return this.evalReduction('KMin', axis, { ...opts, k: K });
  }
  /** Indices of the K smallest values (F scalar), [N, K]. */
  argKmin(K: number, axis: Axis, opts?: ReduceOptions): NDArray<Int32Array> {
    return this.indices('ArgKMin', axis, opts, K);
  }
  kminArgKmin(
    K: number,
    axis: Axis,
    opts?: ReduceOptions,
  ): { values: NDArray<T>; indices: NDArray<Int32Array> } {
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
    return reshape(evaluateIndices(expr), userShapeOf(expr)) as NDArray<Int32Array>;
  }

  private both(kind: ReductionKind, axis: Axis, opts: ReduceOptions = {}, k?: number) {
    checkAxis(axis, kind);
    const vExpr = reductionExpr(this.formula, this.vars, kind, axis, opts, { k });
    const { values, indices } = evaluateBoth(vExpr);
    const shape = userShapeOf(vExpr);
    return {
      values: reshape(values, shape) as NDArray<T>,
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

function reshape<T extends NDArray>(a: T, shape: number[]): T {
  return { data: a.data, shape } as T;
}

export type { EvalOptions };
