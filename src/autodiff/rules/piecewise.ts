import { op } from '../../formula/opRegistry.js';
import { COMPARISON_OPS } from '../../formula/ops/compare.js';
import { IntCst, Zero } from '../../formula/ops/leaves.js';
import { defineVjp, defineVjps, unbroadcast } from '../vjpRegistry.js';

/** VJP rules of the piecewise ops and comparisons (zero almost everywhere where piecewise constant). */

defineVjps(['Sign', 'Step', 'Floor', 'Round', ...COMPARISON_OPS], (n, _c, k) => Zero(n.args[k]!.dim));
defineVjp('Abs', (n, c) => op('Mult', [c, op('Sign', [n.args[0]!])]));
defineVjp('ReLU', (n, c) => op('Mult', [c, op('Step', [n.args[0]!])]));

// Clamp(x, a, b): dx = [a <= x <= b], da = [x < a], db = [x > b] (KeOps' convention).
defineVjp('Clamp', (n, c, k) => {
  const [x, a, b] = n.args;
  const mask =
    k === 0
      ? op('Mult', [op('GreaterOrEqual', [x!, a!]), op('LessOrEqual', [x!, b!])])
      : k === 1
        ? op('LessThan', [x!, a!])
        : op('GreaterThan', [x!, b!]);
  return unbroadcast(op('Mult', [c, mask]), n.args[k]!.dim);
});
defineVjp('ClampInt', (n, c) => {
  const x = n.args[0]!;
  const [a, b] = n.params;
  const mask = op('Mult', [op('GreaterOrEqual', [x, IntCst(a!)]), op('LessOrEqual', [x, IntCst(b!)])]);
  return op('Mult', [c, mask]);
});
// Mod(x, n, d) = x - n floor((x - d)/n): dx = 1, dn = -floor((x - d)/n), dd = 0.
defineVjp('Mod', (n, c, k) => {
  const [x, m, d] = n.args;
  if (k === 2) return Zero(d!.dim);
  const g =
    k === 0 ? c : op('Minus', [op('Mult', [c, op('Floor', [op('Divide', [op('Subtract', [x!, d!]), m!])])])]);
  return unbroadcast(g, n.args[k]!.dim);
});
// IfElse(cond, a, b): the cotangent goes to the selected branch.
defineVjp('IfElse', (n, c, k) => {
  const cond = n.args[0]!;
  if (k === 0) return Zero(cond.dim);
  const z = Zero(c.dim);
  const g = k === 1 ? op('IfElse', [cond, c, z]) : op('IfElse', [cond, z, c]);
  return unbroadcast(g, n.args[k]!.dim);
});
