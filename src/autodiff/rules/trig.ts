import { op } from '../../formula/opRegistry.js';
import { IntCst, Zero } from '../../formula/ops/leaves.js';
import { defineVjp, unbroadcast } from '../vjpRegistry.js';

/** VJP rules of the trigonometric ops. */

defineVjp('Sin', (n, c) => op('Mult', [c, op('Cos', [n.args[0]!])]));
defineVjp('Cos', (n, c) => op('Minus', [op('Mult', [c, op('Sin', [n.args[0]!])])]));
defineVjp('SinXDivX', (n, c) => op('Mult', [c, op('SinXDivXDiff', [n.args[0]!])]));
// g = SinXDivXDiff(x): g' = -sinc(x) - 2 g(x)/x for x != 0, and -1/3 at 0.
defineVjp('SinXDivXDiff', (n, c) => {
  const x = n.args[0]!;
  const general = op('Subtract', [
    op('Minus', [op('SinXDivX', [x])]),
    op('Divide', [op('Mult', [IntCst(2), n]), x]),
  ]);
  const atZero = op('Divide', [IntCst(-1), IntCst(3)]);
  const isNonZero = op('Minus', [op('Equal', [x, Zero(1)])]); // 0 when x != 0, -1 at 0
  return op('Mult', [c, op('IfElse', [isNonZero, general, atZero])]);
});
/** 1 - x^2 */
const oneMinusSq = (x: import('../../formula/node.js').Node) =>
  op('Subtract', [IntCst(1), op('Square', [x])]);
defineVjp('Asin', (n, c) => op('Mult', [c, op('Rsqrt', [oneMinusSq(n.args[0]!)])]));
defineVjp('Acos', (n, c) => op('Minus', [op('Mult', [c, op('Rsqrt', [oneMinusSq(n.args[0]!)])])]));
defineVjp('Atan', (n, c) => op('Divide', [c, op('Add', [IntCst(1), op('Square', [n.args[0]!])])]));
// atan2(y, x): d/dy = x/(x^2+y^2), d/dx = -y/(x^2+y^2)
defineVjp('Atan2', (n, c, k) => {
  const [y, x] = n.args;
  const r2 = op('Add', [op('Square', [x!]), op('Square', [y!])]);
  const num = k === 0 ? x! : op('Minus', [y!]);
  return unbroadcast(op('Divide', [op('Mult', [c, num]), r2]), n.args[k]!.dim);
});
