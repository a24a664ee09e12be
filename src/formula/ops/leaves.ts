import { check } from '../../errors.js';
import { checkDim } from '../../limits.js';
import { CAT_CODE, type Cat, freshVarNode, freshVarVariant, intern, type Node } from '../node.js';
import { defineOp } from '../opRegistry.js';

/** Leaves: variables, integer constants and zero vectors. Var's code comes from the backend. */
defineOp({
  name: 'Var',
  arity: 0,
  nParams: 3,
  dim: (_, p) => p[2]!,
  emit: () => {
    throw new Error('internal: Var is emitted by the formula walker');
  },
});
defineOp({
  name: 'IntCst',
  arity: 0,
  nParams: 1,
  dim: () => 1,
  emit: (ctx, _a, p) => [ctx.d.lit(p[0]!)],
});
defineOp({
  name: 'Zero',
  arity: 0,
  nParams: 1,
  dim: (_, p) => p[0]!,
  emit: (ctx, _a, _p, dim) => new Array(dim).fill(ctx.d.lit(0)),
});

/** A variable: slot `index`, category, dimension. */
export function Var(index: number, dim: number, cat: Cat): Node {
  check(Number.isInteger(index) && index >= 0, () => `variable index must be an integer >= 0, got ${index}`);
  check(Number.isInteger(dim) && dim >= 1, () => `variable dimension must be an integer >= 1, got ${dim}`);
  checkDim('the dimension of a variable', dim);
  return intern('Var', [], [index, CAT_CODE[cat], dim], dim);
}

/**
 * A variable whose index `index` no other variable node uses (LazyTensor variables: see
 * src/lazy/vars.ts). Same as `Var`, without a table entry (nothing outlives the node).
 */
export function FreshVar(index: number, dim: number, cat: Cat): Node {
  check(Number.isInteger(index) && index >= 0, () => `variable index must be an integer >= 0, got ${index}`);
  check(Number.isInteger(dim) && dim >= 1, () => `variable dimension must be an integer >= 1, got ${dim}`);
  checkDim('the dimension of a variable', dim);
  return freshVarNode(index, CAT_CODE[cat], dim);
}

/** The variable of v's index with category `cat` and dimension `dim` (v itself when they match). */
export function VarLike(v: Node, dim: number, cat: Cat): Node {
  check(Number.isInteger(dim) && dim >= 1, () => `variable dimension must be an integer >= 1, got ${dim}`);
  return freshVarVariant(v, CAT_CODE[cat], dim) ?? Var(v.params[0]!, dim, cat);
}

/** A compile-time integer constant (dimension 1). */
export function IntCst(n: number): Node {
  check(Number.isSafeInteger(n), () => `IntCst expects a safe integer, got ${n}`);
  return intern('IntCst', [], [n], 1);
}

/** The zero vector of dimension `dim`. */
export function Zero(dim: number): Node {
  check(Number.isInteger(dim) && dim >= 1, () => `Zero expects a dimension >= 1, got ${dim}`);
  checkDim('Zero: the dimension', dim);
  return intern('Zero', [], [dim], dim);
}
