import { check } from '../../errors.js';
import type { EmitCtx } from '../dialect.js';
import { intValue, isZero } from '../node.js';
import { defineOp, op } from '../opRegistry.js';
import { ones } from './consts.js';
import { IntCst, Zero } from './leaves.js';
import { defineElementwise, defineUnary } from './util.js';

/**
 * Exponentials and powers: Exp, Log, XLogX, Square, Inv, Sqrt, Rsqrt, Pow (integer exponent
 * param), Powf (exponent a node). Conventions follow KeOps: XLogX(0) = 0, Rsqrt(0) = 0.
 */

defineUnary(
  'Exp',
  (ctx, x) => ctx.d.call('exp', [x]),
  (a) => (isZero(a) ? ones(a.dim) : undefined),
);
defineUnary(
  'Log',
  (ctx, x) => ctx.d.call('log', [x]),
  (a) => (intValue(a) === 1 ? Zero(1) : a.op === 'Exp' ? a.args[0] : undefined),
);
defineUnary(
  'XLogX',
  (ctx, x) => {
    const t = ctx.let(x);
    return ctx.d.select(`${t} == ${ctx.d.lit(0)}`, ctx.d.lit(0), `${t} * ${ctx.d.call('log', [t])}`);
  },
  (a) => (isZero(a) || intValue(a) === 1 ? Zero(a.dim) : undefined),
);
defineUnary(
  'Square',
  (ctx, x) => {
    const t = ctx.let(x);
    return `(${t} * ${t})`;
  },
  (a) => {
    if (isZero(a)) return a;
    const v = intValue(a);
    if (v !== undefined && Number.isSafeInteger(v * v)) return IntCst(v * v);
    if (a.op === 'Minus' || a.op === 'Abs') return op('Square', [a.args[0]!]);
    return undefined;
  },
);
defineUnary(
  'Inv',
  (ctx, x) => `(${ctx.d.lit(1)} / ${x})`,
  (a) => {
    const v = intValue(a);
    if (v === 1 || v === -1) return a;
    if (a.op === 'Minus') return op('Minus', [op('Inv', [a.args[0]!])]);
    return undefined;
  },
);
defineUnary(
  'Sqrt',
  (ctx, x) => ctx.d.call('sqrt', [x]),
  (a) => (isZero(a) || intValue(a) === 1 ? a : undefined),
);
defineUnary(
  'Rsqrt',
  (ctx, x) => {
    const t = ctx.let(x);
    return ctx.d.select(
      `${t} == ${ctx.d.lit(0)}`,
      ctx.d.lit(0),
      `${ctx.d.lit(1)} / ${ctx.d.call('sqrt', [t])}`,
    );
  },
  (a) => (isZero(a) || intValue(a) === 1 ? a : undefined),
);

/** x^n by repeated squaring (|n| <= 64), else a pow call; n < 0 gives 1 / x^|n|. */
function emitIntPow(ctx: EmitCtx, x: string, n: number): string {
  if (n === 0) return ctx.d.lit(1);
  const m = Math.abs(n);
  let pos: string;
  if (m > 64) pos = ctx.d.call('pow', [x, ctx.d.lit(m)]);
  else {
    let base = ctx.let(x);
    let acc: string | undefined;
    let e = m;
    for (;;) {
      if (e & 1) acc = acc === undefined ? base : ctx.let(`${acc} * ${base}`);
      e >>= 1;
      if (e === 0) break;
      base = ctx.let(`${base} * ${base}`);
    }
    pos = acc!;
  }
  return n > 0 ? pos : `(${ctx.d.lit(1)} / ${pos})`;
}

defineOp({
  name: 'Pow',
  elementwise: true,
  arity: 1,
  nParams: 1,
  dim: (d, [n]) => {
    check(Math.abs(n!) <= 1e6, () => `Pow: the integer exponent must be within +-1e6, got ${n}`);
    return d[0]!;
  },
  simplify([a], [n]) {
    const x = a!;
    const m = n!;
    if (m === 1) return x;
    if (m === 0) return ones(x.dim);
    if (m === 2) return op('Square', [x]);
    if (m === -1) return op('Inv', [x]);
    if (isZero(x) && m > 0) return x;
    const v = intValue(x);
    if (v !== undefined && m > 0 && Number.isSafeInteger(v ** m)) return IntCst(v ** m);
    if (v === 1) return x;
    return undefined;
  },
  emit: (ctx, [a], [n]) => a!.map((x) => emitIntPow(ctx, x, n!)),
});

defineElementwise(
  'Powf',
  2,
  (ctx, x, t) => ctx.d.call('pow', [x!, t!]),
  ([x, t], _p, dim) => {
    const k = intValue(t!);
    if (k !== undefined && x!.dim === dim) return op('Pow', [x!], [k]);
    return undefined;
  },
);
