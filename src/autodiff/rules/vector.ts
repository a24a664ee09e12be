import type { Node } from '../../formula/node.js';
import { op } from '../../formula/opRegistry.js';
import { IntCst, Zero } from '../../formula/ops/leaves.js';
import { weightKind } from '../../formula/ops/norms.js';
import { defineVjp, defineVjps, unbroadcast } from '../vjpRegistry.js';

/** VJP rules of component reductions, one-hot, norms and weighted norms. */

defineVjps(['ArgMax', 'ArgMin', 'OneHot'], (n, _c, k) => Zero(n.args[k]!.dim));
// The gradient of Max goes to the (first) maximal component.
defineVjp('Max', (n, c) => op('Mult', [op('OneHot', [op('ArgMax', [n.args[0]!])], [n.args[0]!.dim]), c]));
defineVjp('Min', (n, c) => op('Mult', [op('OneHot', [op('ArgMin', [n.args[0]!])], [n.args[0]!.dim]), c]));

defineVjp('Scalprod', (n, c, k) => op('Mult', [c, n.args[1 - k]!]));
// d|x| = x/|x| (0 at 0, as KeOps)
defineVjp('Norm2', (n, c) => {
  const x = n.args[0]!;
  return op('Mult', [op('Mult', [c, op('Rsqrt', [op('SqNorm2', [x])])]), x]);
});
// y = x r, r = |x|^-1: VJP = r (c - (y.c) y)
defineVjp('Normalize', (n, c) => {
  const x = n.args[0]!;
  const r = op('Rsqrt', [op('SqNorm2', [x])]);
  return op('Mult', [r, op('Subtract', [c, op('Mult', [op('Scalprod', [n, c]), n])])]);
});

/** VJP of WeightedSqNorm(s, d) with respect to s (k = 0) or d (k = 1); c is the scalar cotangent. */
function weightedVjp(name: string, s: Node, d: Node, c: Node, k: number): Node {
  const kind = weightKind(name, s.dim, d.dim);
  if (k === 0) {
    if (kind === 'iso') return op('Mult', [c, op('SqNorm2', [d])]);
    if (kind === 'diag') return op('Mult', [c, op('Square', [d])]);
    return op('Mult', [c, op('TensorProd', [d, d])]);
  }
  if (kind === 'full') {
    return op('Mult', [c, op('Add', [op('MatVecMult', [s, d]), op('VecMatMult', [d, s])])]);
  }
  return op('Mult', [op('Mult', [IntCst(2), c]), op('Mult', [s, d])]);
}
defineVjp('WeightedSqNorm', (n, c, k) => weightedVjp('WeightedSqNorm', n.args[0]!, n.args[1]!, c, k));
defineVjp('WeightedSqDist', (n, c, k) => {
  const [s, x, y] = n.args;
  const d = op('Subtract', [x!, y!]);
  if (k === 0) return weightedVjp('WeightedSqDist', s!, d, c, 0);
  const g = weightedVjp('WeightedSqDist', s!, d, c, 1);
  return unbroadcast(k === 1 ? g : op('Minus', [g]), n.args[k]!.dim);
});
