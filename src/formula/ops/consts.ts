import { intValue, isZero, type Node } from '../node.js';
import { op } from '../opRegistry.js';
import { IntCst, Zero } from './leaves.js';

/** Constant helpers used by simplifications and gradient rules. */

/** The vector of ones of dimension `dim` (IntCst(1) broadcast by SumT). */
export function ones(dim: number): Node {
  return dim === 1 ? IntCst(1) : op('SumT', [IntCst(1)], [dim]);
}

/** The integer constant n broadcast to `dim`. */
export function intVec(n: number, dim: number): Node {
  if (n === 0) return Zero(dim);
  return dim === 1 ? IntCst(n) : op('SumT', [IntCst(n)], [dim]);
}

/** A node's value as an integer when it is a (broadcast) integer constant: IntCst, Zero or SumT(IntCst). */
export function constInt(n: Node): number | undefined {
  if (isZero(n)) return 0;
  const v = intValue(n);
  if (v !== undefined) return v;
  if (n.op === 'SumT') return intValue(n.args[0]!);
  return undefined;
}

/** Broadcasts a node to dimension `dim` (a dim-1 node is repeated with SumT). */
export function broadcastTo(n: Node, dim: number): Node {
  return n.dim === dim ? n : op('SumT', [n], [dim]);
}
