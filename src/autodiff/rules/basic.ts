import { op } from '../../formula/opRegistry.js';
import { IntCst, Zero } from '../../formula/ops/leaves.js';
import { defineVjp, unbroadcast } from '../vjpRegistry.js';

/** VJP rules of the arithmetic core, Exp/Log/Square and the basic vector and slicing ops. */

const two = IntCst(2);

defineVjp('Add', (n, c, k) => unbroadcast(c, n.args[k]!.dim));
defineVjp('Subtract', (n, c, k) => unbroadcast(k === 0 ? c : op('Minus', [c]), n.args[k]!.dim));
defineVjp('Mult', (n, c, k) => unbroadcast(op('Mult', [c, n.args[1 - k]!]), n.args[k]!.dim));
defineVjp('Divide', (n, c, k) => {
  const [, b] = n.args;
  // d(a/b)/da = 1/b; d(a/b)/db = -(a/b)/b.
  const g = k === 0 ? op('Divide', [c, b!]) : op('Minus', [op('Divide', [op('Mult', [c, n]), b!])]);
  return unbroadcast(g, n.args[k]!.dim);
});
defineVjp('Minus', (_n, c) => op('Minus', [c]));
defineVjp('Exp', (n, c) => op('Mult', [c, n]));
defineVjp('Log', (n, c) => op('Divide', [c, n.args[0]!]));
defineVjp('Square', (n, c) => op('Mult', [op('Mult', [two, c]), n.args[0]!]));

defineVjp('Sum', (n, c) => op('SumT', [c], [n.args[0]!.dim]));
defineVjp('SumT', (_n, c) => op('Sum', [c]));
defineVjp('SqNorm2', (n, c) => op('Mult', [op('Mult', [two, c]), n.args[0]!]));
defineVjp('SqDist', (n, c, k) => {
  const [a, b] = n.args;
  const diff = k === 0 ? op('Subtract', [a!, b!]) : op('Subtract', [b!, a!]);
  return unbroadcast(op('Mult', [op('Mult', [two, c]), diff]), n.args[k]!.dim);
});
defineVjp('Elem', (n, c) => op('ElemT', [c], [n.args[0]!.dim, n.params[0]!]));
defineVjp('ElemT', (n, c) => op('Elem', [c], [n.params[1]!]));
defineVjp('Extract', (n, c) => op('ExtractT', [c], [n.params[0]!, n.args[0]!.dim]));
defineVjp('ExtractT', (n, c) => op('Extract', [c], [n.params[0]!, n.args[0]!.dim]));
defineVjp('Concat', (n, c, k) => {
  const a = n.args[0]!;
  return k === 0 ? op('Extract', [c], [0, a.dim]) : op('Extract', [c], [a.dim, n.args[1]!.dim]);
});

/** Leaves have no arguments; listed so that every op of the IR has an entry. */
for (const name of ['Var', 'IntCst', 'Zero']) defineVjp(name, (n) => Zero(n.dim));
