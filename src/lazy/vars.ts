import type { Cat, Node } from '../formula/node.js';
import { FreshVar } from '../formula/ops/leaves.js';

let next = 0;
/** A fresh variable index: every LazyTensor variable and every internal one gets its own. */
export function freshVarIndex(): number {
  return next++;
}

/**
 * A new variable with an index of its own. Its node is made without a table lookup, so a loop
 * that builds variables never grows a table; its variants (transposition, batching) come from
 * `VarLike`.
 */
export function freshVar(dim: number, cat: Cat): Node {
  return FreshVar(freshVarIndex(), dim, cat);
}
