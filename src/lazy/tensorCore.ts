import { LazyTensorError } from '../errors.js';
import { type Cat, isVar, mapDag, type Node, varCat } from '../formula/node.js';
import { op } from '../formula/opRegistry.js';
import { VarLike } from '../formula/ops/leaves.js';
import { bindParam } from './bind.js';
import type { InputArray } from './data.js';

/** An operand of the symbolic operations: a tensor or a JavaScript number (a runtime parameter). */
export type TensorOperand = TensorCore | number;

const NO_VARS: ReadonlyMap<Node, InputArray> = new Map();

/**
 * What every symbolic tensor is: a formula plus the arrays bound to its variables, and the one way
 * of deriving a new tensor from operands (`apply`). The operations are in the subclasses
 * (SymbolicOps, ComplexOps); LazyTensor, the one concrete class, adds the reductions.
 */
export abstract class TensorCore {
  /** Bound arrays, once collected (see `vars`). */
  private bound: ReadonlyMap<Node, InputArray> | undefined;
  /** Until then: the operands whose variables this tensor's formula uses. */
  private parts: readonly TensorCore[] = [];

  constructor(
    readonly formula: Node,
    vars: ReadonlyMap<Node, InputArray>,
  ) {
    this.bound = vars;
  }

  /** A tensor of the concrete class with this formula and data. */
  protected abstract make(formula: Node, vars: ReadonlyMap<Node, InputArray>): this;

  /**
   * The arrays bound to the variables of the formula. Operations do not copy them (a chain of n
   * operations would copy O(n²) entries): they are collected from the operands on first use.
   */
  get vars(): ReadonlyMap<Node, InputArray> {
    if (!this.bound) {
      this.bound = TensorCore.collect(this);
      this.parts = [];
    }
    return this.bound;
  }

  /** Dimension of the value at one (i, j) pair. */
  get dim(): number {
    return this.formula.dim;
  }

  /** An operand as a tensor (a number becomes a parameter). */
  protected lift(x: TensorOperand): TensorCore {
    if (x instanceof TensorCore) return x;
    if (typeof x === 'number') {
      const b = bindParam(x);
      return this.make(b.node, b.vars);
    }
    throw new LazyTensorError(`expected a LazyTensor or a number, got ${x === null ? 'null' : typeof x}`);
  }

  /** A tensor of `formula` whose data are those of this and `others`. */
  protected with(formula: Node, ...others: TensorCore[]): this {
    const t = this.make(formula, NO_VARS);
    t.bound = undefined;
    t.parts = [this, ...others];
    return t;
  }

  /** The variables of `root` and its operands, collected without recursion. */
  private static collect(root: TensorCore): Map<Node, InputArray> {
    const out = new Map<Node, InputArray>();
    const seen = new Set<TensorCore>();
    const stack: TensorCore[] = [root];
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
  protected apply(name: string, operands: TensorOperand[] = [], params: number[] = []): this {
    const ts = operands.map((o) => this.lift(o));
    return this.with(op(name, [this.formula, ...ts.map((t) => t.formula)], params), ...ts);
  }

  /** Swaps the roles of i and j. */
  t(): this {
    const swap = (c: Cat): Cat => (c === 'i' ? 'j' : c === 'j' ? 'i' : c);
    const vars = new Map<Node, InputArray>();
    const formula = mapDag(
      this.formula,
      (n) => (isVar(n) ? VarLike(n, n.dim, swap(varCat(n))) : undefined),
      (name, args, params) => op(name, args, params),
    );
    for (const [v, a] of this.vars) vars.set(VarLike(v, v.dim, swap(varCat(v))), a);
    return this.make(formula, vars);
  }
}
