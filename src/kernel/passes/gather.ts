import { isVar, type Node } from '../../formula/node.js';
import { op } from '../../formula/opRegistry.js';
import { isElementwiseOp } from './elementwise.js';

function concatAll(parts: Node[]): Node {
  let acc = parts[0]!;
  for (let k = 1; k < parts.length; k++) acc = op('Concat', [acc, parts[k]!]);
  return acc;
}

function elems(n: Node, idx: readonly number[]): Node {
  return concatAll(idx.map((k) => op('Elem', [n], [k])));
}

/**
 * A node whose components are components `idx` of `n` (ascending), built so that only those
 * components are computed: the selection is pushed through elementwise ops and Concat down to
 * the variables. Other nodes are computed whole and their components picked with Elem.
 */
export function gather(n: Node, idx: readonly number[]): Node {
  if (idx.length === n.dim && idx.every((k, p) => k === p)) return n;
  if (isVar(n)) return elems(n, idx);
  if (n.op === 'Concat') {
    const [a, b] = n.args as [Node, Node];
    const ia = idx.filter((k) => k < a.dim);
    const ib = idx.filter((k) => k >= a.dim).map((k) => k - a.dim);
    if (ib.length === 0) return gather(a, ia);
    if (ia.length === 0) return gather(b, ib);
    return op('Concat', [gather(a, ia), gather(b, ib)]);
  }
  if (isElementwiseOp(n.op) && n.args.every((a) => a.dim === 1 || a.dim === n.dim)) {
    const args = n.args.map((a) => (a.dim === 1 ? a : gather(a, idx)));
    // With a single component every operand may now be scalar: the op's result is then scalar too.
    return op(n.op, args, n.params);
  }
  return elems(n, idx);
}
