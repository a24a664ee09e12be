import { isDeviceBuffer } from '../backends/common/device.js';
import type { DeviceBuffer } from '../backends/types.js';
import { check, LazyTensorError } from '../errors.js';
import type { Node } from '../formula/node.js';
import type { FloatArray, NDArray } from '../ndarray.js';
import type { ReductionKind } from '../reduction/index.js';
import { gradHost } from './backprop.js';
import { host, type InputArray, markFlexible, toFloatArray } from './data.js';
import {
  evaluate,
  evaluateAsync,
  type HostExpr,
  leaf,
  type ReduceExpr,
  runReduceExpr,
  shapeOf,
  userShapeOf,
} from './graph.js';
import type { ReduceOptions } from './reduce.js';

/** Something that can be differentiated: a variable LazyTensor exposes its data and node. */
export interface Differentiable {
  readonly formula: Node;
  readonly vars: ReadonlyMap<Node, InputArray>;
}

/** Options of `eval`: the backend and the accumulator may be overridden per evaluation. */
export type EvalOptions = Pick<ReduceOptions, 'backend' | 'accumulator'>;

/**
 * A lazy array-valued expression: a reduction, a gradient, or a sum of such. Nothing is computed
 * until `eval()`. `grad(v, e)` returns another lazy expression, so gradients of gradients work.
 */
export class LazyExpr<T extends FloatArray = FloatArray> {
  constructor(
    /** The host graph node. */
    readonly expr: HostExpr,
    /** Shape reported to the user (same size as the node's shape). */
    readonly userShape: readonly number[] = shapeOf(expr),
  ) {}

  /** Shape of the result. */
  get shape(): number[] {
    return [...this.userShape];
  }

  /** Computes the result. */
  eval(opts: EvalOptions = {}): NDArray<T> {
    const out = host(evaluate(this.expr, new Map(), opts), 'eval()');
    return { data: out.data as T, shape: [...this.userShape] };
  }

  /**
   * Computes the result without blocking the calling thread: each reduction runs on the
   * backend's worker threads (js, wasm; native on its own thread) while the caller awaits, so a
   * browser page's main thread, which may not block, computes on several threads and stays
   * responsive. Where there are no threads to run on (one thread; a backend without an async
   * path), it computes synchronously and resolves with that result. Async runs of one backend run
   * one at a time, in call order. Errors reject with a LazyTensorError. The input arrays must not
   * be modified until it settles.
   */
  async evalAsync(opts: EvalOptions = {}): Promise<NDArray<T>> {
    const out = host(await evaluateAsync(this.expr, opts), 'evalAsync()');
    return { data: out.data as T, shape: [...this.userShape] };
  }

  /**
   * Computes a reduction on a device backend (cuda; 'auto': the device backend of highest
   * priority) and leaves the result there: inputs may be device arrays (`toDevice`), so iterative solvers make no host round trip per step. The
   * result has the reduction's raw shape [n, outDim]; read it with `.toHost()`.
   */
  evalDevice(opts: EvalOptions = {}): DeviceBuffer {
    const e = this.expr;
    check(
      e.kind === 'reduce' && e.take === 'values',
      'evalDevice(): only a reduction (not a gradient) can stay on the device',
    );
    return runReduceExpr(e, new Map(), opts, 'device').device!.values!;
  }

  /**
   * d⟨this, e⟩/dv: the gradient of the scalar product of this result with `e` (same shape as the
   * result) with respect to the variable `v` (a Vi, Vj or Pm LazyTensor used in the formula).
   * Shaped like v's data. All variables built on the same array contribute.
   */
  grad(v: Differentiable, e: NDArray | number[][]): LazyExpr<T> {
    check(
      v.formula.op === 'Var',
      () => `grad: expected a variable (Vi, Vj or Pm), got an expression (operation '${v.formula.op}')`,
    );
    const target = v.vars.get(v.formula);
    if (!target) throw new LazyTensorError('grad: the variable has no data');
    const ea = toFloatArray(e, 'grad(): e');
    const want = this.userShape;
    check(
      ea.data.length === want.reduce((a, b) => a * b, 1),
      () => `grad(): e must have the result's shape [${want.join(', ')}], got [${ea.shape.join(', ')}]`,
    );
    // The cotangent takes the dtype of the reduction's data.
    const eLeaf = leaf(markFlexible({ data: ea.data, shape: [...shapeOf(this.expr)] }));
    const g = gradHost(this.expr, target, eLeaf);
    if (!g) return new LazyExpr<T>(leaf(zerosLike(target)), target.shape);
    return new LazyExpr<T>(g, target.shape);
  }
}

function zerosLike(a: InputArray): NDArray<FloatArray> {
  const n = a.shape.reduce((p, q) => p * q, 1);
  const f32 = isDeviceBuffer(a) ? a.dtype === 'float32' : a.data instanceof Float32Array;
  return { data: f32 ? new Float32Array(n) : new Float64Array(n), shape: [...a.shape] };
}

/** Builds the host node of a reduction of a formula with bound data. */
export function reductionExpr(
  formula: Node,
  vars: ReadonlyMap<Node, InputArray>,
  red: ReductionKind,
  axis: 'i' | 'j',
  opts: ReduceOptions = {},
  extra: { weight?: Node; k?: number; take?: 'values' | 'indices' } = {},
): ReduceExpr {
  const inputs = new Map<Node, HostExpr>();
  for (const [v, a] of vars) inputs.set(v, leaf(a));
  return {
    kind: 'reduce',
    request: { formula, weight: extra.weight, kind: red, k: extra.k, axis },
    inputs,
    opts,
    take: extra.take ?? 'values',
  };
}

/** Computes a reduction of a formula with bound data, shaped as the user sees it. */
export function evalReduction(
  formula: Node,
  vars: ReadonlyMap<Node, InputArray>,
  red: ReductionKind,
  axis: 'i' | 'j',
  opts: ReduceOptions = {},
): NDArray<FloatArray> {
  const expr = reductionExpr(formula, vars, red, axis, opts);
  return new LazyExpr(expr, userShapeOf(expr)).eval();
}
