import { check } from '../../errors.js';
import type { EmitCtx } from '../dialect.js';
import { intValue, isZero, type Node } from '../node.js';
import { defineOp, op } from '../opRegistry.js';
import { broadcastTo, ones } from './consts.js';
import { IntCst } from './leaves.js';
import { broadcastDim, comp, defineElementwise, defineUnary } from './util.js';

/**
 * Piecewise ops (KeOps conventions): Abs, Sign (0 at 0), Step (0 for x < 0, else 1), ReLU,
 * Floor, Round(x; [d]) (d decimals, half away from zero), Clamp(x, a, b), ClampInt(x; [a, b]),
 * Mod(x, n, d) = x - n floor((x - d)/n), IfElse(c, a, b) = c >= 0 ? a : b.
 */

const foldInt = (f: (v: number) => number) => (a: Node) => {
  const v = intValue(a);
  return v === undefined ? undefined : IntCst(f(v));
};

defineUnary(
  'Abs',
  (ctx, x) => ctx.d.call('abs', [x]),
  (a) => {
    if (isZero(a) || a.op === 'Abs' || a.op === 'Square' || a.op === 'Exp') return a;
    if (a.op === 'Minus') return op('Abs', [a.args[0]!]);
    return foldInt(Math.abs)(a);
  },
);
defineUnary(
  'Sign',
  (ctx, x) => {
    const t = ctx.let(x);
    const l = ctx.d.lit;
    return ctx.d.select(`${t} > ${l(0)}`, l(1), ctx.d.select(`${t} < ${l(0)}`, l(-1), l(0)));
  },
  (a) => (isZero(a) || a.op === 'Sign' ? a : foldInt(Math.sign)(a)),
);
defineUnary(
  'Step',
  (ctx, x) => ctx.d.select(`${x} < ${ctx.d.lit(0)}`, ctx.d.lit(0), ctx.d.lit(1)),
  (a) => (isZero(a) ? ones(a.dim) : foldInt((v) => (v < 0 ? 0 : 1))(a)),
);
defineUnary(
  'ReLU',
  (ctx, x) => {
    const t = ctx.let(x);
    return ctx.d.select(`${t} < ${ctx.d.lit(0)}`, ctx.d.lit(0), t);
  },
  (a) => (isZero(a) || a.op === 'ReLU' ? a : foldInt((v) => Math.max(v, 0))(a)),
);
defineUnary(
  'Floor',
  (ctx, x) => ctx.d.call('floor', [x]),
  (a) => (isZero(a) || intValue(a) !== undefined || a.op === 'Floor' ? a : undefined),
);

defineOp({
  name: 'Round',
  elementwise: true,
  arity: 1,
  nParams: 1,
  dim: (d, [n]) => {
    check(Math.abs(n!) <= 300, () => `Round: the number of decimals must be within +-300, got ${n}`);
    return d[0]!;
  },
  simplify: ([a], [n]) => (isZero(a!) || (intValue(a!) !== undefined && n! >= 0) ? a : undefined),
  emit: (ctx, [a], [n]) =>
    a!.map((x) => {
      const d = n!;
      if (d === 0) return ctx.d.call('round', [x]);
      const s = ctx.d.lit(10 ** Math.abs(d));
      return d > 0
        ? `(${ctx.d.call('round', [`${x} * ${s}`])} / ${s})`
        : `(${ctx.d.call('round', [`${x} / ${s}`])} * ${s})`;
    }),
});

/** x < a ? a : (x > b ? b : x), with a and b expressions. */
function clampExpr(ctx: EmitCtx, x: string, a: string, b: string): string {
  return ctx.d.select(`${x} < ${a}`, a, ctx.d.select(`${x} > ${b}`, b, x));
}

defineElementwise(
  'Clamp',
  3,
  (ctx, x, a, b) => clampExpr(ctx, ctx.let(x!), ctx.let(a!), ctx.let(b!)),
  ([x, a, b], _p, dim) => {
    const [u, v, w] = [intValue(x!), intValue(a!), intValue(b!)];
    if (u !== undefined && v !== undefined && w !== undefined) return IntCst(u < v ? v : u > w ? w : u);
    if (v !== undefined && w !== undefined && v <= w) return op('ClampInt', [broadcastTo(x!, dim)], [v, w]);
    return undefined;
  },
);

defineOp({
  name: 'ClampInt',
  elementwise: true,
  arity: 1,
  nParams: 2,
  dim: (d, [a, b]) => {
    check(a! <= b!, () => `ClampInt: the lower bound must not exceed the upper bound, got [${a}, ${b}]`);
    return d[0]!;
  },
  simplify([x], [a, b]) {
    const v = intValue(x!);
    if (v !== undefined) return IntCst(v < a! ? a! : v > b! ? b! : v);
    if (x!.op === 'ClampInt' && x!.params[0]! >= a! && x!.params[1]! <= b!) return x;
    return undefined;
  },
  emit: (ctx, [x], [a, b]) => x!.map((t) => clampExpr(ctx, ctx.let(t), ctx.d.lit(a!), ctx.d.lit(b!))),
});

defineElementwise('Mod', 3, (ctx, x, n, d) => {
  const t = ctx.let(x!);
  const m = ctx.let(n!);
  return `(${t} - ${m} * ${ctx.d.call('floor', [`(${t} - ${d}) / ${m}`])})`;
});

defineOp({
  name: 'IfElse',
  elementwise: true,
  arity: 3,
  dim: (d) => broadcastDim('IfElse', d),
  simplify([c, a, b]) {
    const dim = broadcastDim('IfElse', [c!.dim, a!.dim, b!.dim]);
    const v = intValue(c!) ?? (isZero(c!) ? 0 : undefined);
    if (v !== undefined) return broadcastTo(v >= 0 ? a! : b!, dim);
    if (a === b) return broadcastTo(a!, dim);
    return undefined;
  },
  emit: (ctx, [c, a, b], _p, dim) => {
    const out: string[] = [];
    for (let k = 0; k < dim; k++) {
      out.push(ctx.d.select(`${comp(c!, k)} >= ${ctx.d.lit(0)}`, comp(a!, k), comp(b!, k)));
    }
    return out;
  },
});
