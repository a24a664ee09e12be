import { op } from '../../formula/opRegistry.js';
import { IntCst } from '../../formula/ops/leaves.js';
import { defineVjp, unbroadcast } from '../vjpRegistry.js';

/** VJP rules of XLogX, Inv, Sqrt, Rsqrt, Pow, PowHalf, Powf (KeOps conventions: Rsqrt(0) = 0). */

const x0 = (n: { args: readonly import('../../formula/node.js').Node[] }) => n.args[0]!;

// d(x log x) = log x + 1
defineVjp('XLogX', (n, c) => op('Mult', [c, op('Add', [op('Log', [x0(n)]), IntCst(1)])]));
// d(1/x) = -1/x^2
defineVjp('Inv', (n, c) => op('Minus', [op('Mult', [c, op('Square', [n])])]));
// d sqrt(x) = Rsqrt(x)/2 (0 at 0, as KeOps)
defineVjp('Sqrt', (n, c) => op('Divide', [op('Mult', [c, op('Rsqrt', [x0(n)])]), IntCst(2)]));
// d x^(-1/2) = -x^(-3/2)/2
defineVjp('Rsqrt', (n, c) => op('Divide', [op('Mult', [c, op('Pow', [n], [3])]), IntCst(-2)]));
// d x^m = m x^(m-1)
defineVjp('Pow', (n, c) => {
  const m = n.params[0]!;
  return op('Mult', [op('Mult', [IntCst(m), c]), op('Pow', [x0(n)], [m - 1])]);
});
// d x^(k/2) = (k/2) x^((k-2)/2): Powf's rule t x^(t-1) for the same constant exponent
defineVjp('PowHalf', (n, c) => {
  const k = n.params[0]!;
  return op('Divide', [op('Mult', [op('Mult', [IntCst(k), c]), op('PowHalf', [x0(n)], [k - 2])]), IntCst(2)]);
});
// d x^t: t x^(t-1) dx + log(x) x^t dt
defineVjp('Powf', (n, c, k) => {
  const [x, t] = n.args;
  const g =
    k === 0
      ? op('Mult', [c, op('Mult', [t!, op('Powf', [x!, op('Subtract', [t!, IntCst(1)])])])])
      : op('Mult', [c, op('Mult', [op('Log', [x!]), n])]);
  return unbroadcast(g, n.args[k]!.dim);
});
