import { check, LazyTensorError } from '../errors.js';
import { isVar, mapDag, type Node, varCat } from '../formula/node.js';
import { op } from '../formula/opRegistry.js';
import type { InputArray } from '../lazy/data.js';
import { LazyTensor, Pm } from '../lazy/index.js';
import { parseProgram } from '../syntax/program.js';

/** A cost function on LazyTensors: X is the first point (i-indexed or j-indexed), Y the second. */
export type CostFunction = (X: LazyTensor, Y: LazyTensor) => LazyTensor;

/**
 * A transport cost C(x, y):
 * - p = 2: ½|x − y|² (GeomLoss units), gradient x − y;
 * - p = 1: |x − y| (exact square root, 0 on the diagonal), gradient (x − y)/|x − y| (0 at x = y);
 * - custom: a KeOps formula in the variables X and Y (e.g. 'SqDist(X,Y) / IntCst(2)') or a
 *   function of two LazyTensors; its gradients come from the engine's symbolic autodiff.
 */
export interface Cost {
  readonly kind: 'p1' | 'p2' | 'custom';
  /** Exponent used by the ε-schedule (1 or 2; custom costs use the `p` option). */
  readonly p: number;
  /** C(X, Y) as a scalar LazyTensor. */
  build(X: LazyTensor, Y: LazyTensor): LazyTensor;
  /**
   * ∇_X C(X, Y) as a LazyTensor of dimension D, for the built-in costs (undefined for custom
   * costs: use autodiff).
   */
  gradient?(X: LazyTensor, Y: LazyTensor): LazyTensor;
}

const p2: Cost = {
  kind: 'p2',
  p: 2,
  build: (X, Y) => X.sqdist(Y).mul(0.5),
  gradient: (X, Y) => X.sub(Y),
};

const p1: Cost = {
  kind: 'p1',
  p: 1,
  build: (X, Y) => X.sqdist(Y).sqrt(),
  gradient: (X, Y) => X.sub(Y).mul(X.sqdist(Y).rsqrt()),
};

/** The cost for exponent p (1 or 2) or a custom formula/function. */
export function makeCost(p: number, custom: string | CostFunction | undefined, dim: number): Cost {
  if (custom === undefined) {
    check(p === 1 || p === 2, () => `p must be 1 or 2 (or give a custom cost), got ${String(p)}`);
    return p === 2 ? p2 : p1;
  }
  check(p > 0 && Number.isFinite(p), () => `p must be a positive number, got ${String(p)}`);
  if (typeof custom === 'function') {
    return { kind: 'custom', p, build: (X, Y) => checkScalar(custom(X, Y)) };
  }
  if (typeof custom !== 'string') {
    throw new LazyTensorError(`cost: expected a formula string or a function, got ${typeof custom}`);
  }
  return { kind: 'custom', p, build: formulaCost(custom, dim) };
}

function checkScalar(c: unknown): LazyTensor {
  if (!(c instanceof LazyTensor))
    throw new LazyTensorError('cost: the cost function must return a LazyTensor');
  check(c.dim === 1, () => `cost: the cost must be a scalar (dimension 1), got dimension ${c.dim}`);
  return c;
}

/**
 * A cost from a KeOps formula in X (first point) and Y (second point), both of dimension D.
 * Parsed once (never evaluated); literals become runtime parameters.
 */
function formulaCost(text: string, dim: number): CostFunction {
  const prog = parseProgram([text], [`X = Vi(0, ${dim})`, `Y = Vj(1, ${dim})`]);
  const f = prog.formulas[0]!;
  check(f.dim === 1, () => `cost: the formula must be scalar (dimension 1), got dimension ${f.dim}`);
  const lits = new Map(prog.literals.map((l) => [l.node, l.value]));
  return (X, Y) => {
    check(X.formula.op === 'Var' && Y.formula.op === 'Var', 'cost: X and Y must be variables');
    const vars = new Map<Node, InputArray>([...X.vars, ...Y.vars]);
    const body = mapDag(
      f,
      (n) => {
        if (!isVar(n)) return undefined;
        const lit = lits.get(n);
        if (lit !== undefined) {
          const v = Pm(lit);
          for (const [k, a] of v.vars) vars.set(k, a);
          return v.formula;
        }
        if (varCat(n) === 'i') return X.formula;
        if (varCat(n) === 'j') return Y.formula;
        throw new LazyTensorError('cost: the formula may only use X, Y and numbers');
      },
      (name, args, params) => op(name, args, params),
    );
    return new LazyTensor(body, vars);
  };
}
