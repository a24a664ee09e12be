import { intValue, isZero } from '../node.js';
import { op } from '../opRegistry.js';
import { ones } from './consts.js';
import { Zero } from './leaves.js';
import { defineElementwise, defineUnary } from './util.js';

/**
 * Trigonometric ops: Sin, Cos, SinXDivX (sin(x)/x, 1 at 0), Asin, Acos, Atan, Atan2(y, x), and
 * SinXDivXDiff, the derivative of SinXDivX ((x cos x - sin x)/x^2, 0 at 0), emitted with a Taylor
 * series near 0 so gradients stay accurate to ~1e-15 there (not a KeOps name; used by autodiff).
 */

defineUnary(
  'Sin',
  (ctx, x) => ctx.d.call('sin', [x]),
  (a) => (isZero(a) ? a : a.op === 'Minus' ? op('Minus', [op('Sin', [a.args[0]!])]) : undefined),
);
defineUnary(
  'Cos',
  (ctx, x) => ctx.d.call('cos', [x]),
  (a) => (isZero(a) ? ones(a.dim) : a.op === 'Minus' || a.op === 'Abs' ? op('Cos', [a.args[0]!]) : undefined),
);
defineUnary(
  'SinXDivX',
  (ctx, x) => {
    const t = ctx.let(x);
    return ctx.d.select(`${t} == ${ctx.d.lit(0)}`, ctx.d.lit(1), `${ctx.d.call('sin', [t])} / ${t}`);
  },
  (a) =>
    isZero(a) ? ones(a.dim) : a.op === 'Minus' || a.op === 'Abs' ? op('SinXDivX', [a.args[0]!]) : undefined,
);
defineUnary(
  'SinXDivXDiff',
  (ctx, x) => {
    const l = (v: number) => ctx.d.lit(v);
    const t = ctx.let(x);
    const t2 = ctx.let(`${t} * ${t}`);
    // -x/3 + x^3/30 - x^5/840 + x^7/45360 - x^9/3991680 (truncation < 1e-14 relative for |x| < 0.1)
    const series = `${t} * (${l(-1 / 3)} + ${t2} * (${l(1 / 30)} + ${t2} * (${l(-1 / 840)} + ${t2} * (${l(1 / 45360)} + ${t2} * ${l(-1 / 3991680)}))))`;
    const direct = `(${t} * ${ctx.d.call('cos', [t])} - ${ctx.d.call('sin', [t])}) / ${t2}`;
    return ctx.d.select(`${ctx.d.call('abs', [t])} < ${l(0.1)}`, series, direct);
  },
  (a) => (isZero(a) ? a : a.op === 'Minus' ? op('Minus', [op('SinXDivXDiff', [a.args[0]!])]) : undefined),
);
defineUnary(
  'Asin',
  (ctx, x) => ctx.d.call('asin', [x]),
  (a) => (isZero(a) ? a : undefined),
);
defineUnary(
  'Acos',
  (ctx, x) => ctx.d.call('acos', [x]),
  (a) => (intValue(a) === 1 ? Zero(1) : undefined),
);
defineUnary(
  'Atan',
  (ctx, x) => ctx.d.call('atan', [x]),
  (a) => (isZero(a) ? a : undefined),
);
defineElementwise('Atan2', 2, (ctx, y, x) => ctx.d.call('atan2', [y!, x!]));
