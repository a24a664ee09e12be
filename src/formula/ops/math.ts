import { check } from '../../errors.js';
import type { EmitCtx } from '../dialect.js';
import { intValue, isZero, type Node } from '../node.js';
import { defineOp, op } from '../opRegistry.js';
import { ones } from './consts.js';
import { IntCst, Zero } from './leaves.js';
import { defineElementwise, defineUnary } from './util.js';

/**
 * Exponentials and powers: Exp, Log, XLogX, Square, Inv, Sqrt, Rsqrt, Pow (integer exponent
 * param), PowHalf (x^(k/2), odd integer param k: not a KeOps name), Powf (exponent a node).
 * Conventions follow KeOps: XLogX(0) = 0, Rsqrt(0) = 0. Powf with a compile-time integer or
 * half-integer exponent becomes Pow or PowHalf: multiplications and one sqrt instead of exp/log.
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

/**
 * Largest |2t| of a literal exponent t that powf(t) compiles in (Pow or PowHalf): x^m by repeated
 * squaring stays within a few float ulps for m <= 8. Other literals stay run-time parameters.
 */
export const POWF_CONST_LIMIT = 16;

/** 2t when node t is a compile-time integer or half-integer: IntCst(n), IntCst(k) / IntCst(+-2), or Minus of one. */
export function doubledHalfInt(t: Node): number | undefined {
  if (t.op === 'Minus') {
    const v = doubledHalfInt(t.args[0]!);
    return v === undefined ? undefined : -v;
  }
  const n = intValue(t);
  if (n !== undefined) return Number.isSafeInteger(2 * n) ? 2 * n : undefined;
  if (t.op !== 'Divide') return undefined;
  const k = intValue(t.args[0]!);
  const d = intValue(t.args[1]!);
  return k !== undefined && (d === 2 || d === -2) ? k * Math.sign(d) : undefined;
}

/**
 * The compile-time exponent node for a literal t that Powf rewrites to multiplications (t an
 * integer or half-integer with |2t| <= POWF_CONST_LIMIT), or undefined (t stays a parameter).
 */
export function powfConstant(t: number): Node | undefined {
  const k = 2 * t;
  if (!Number.isInteger(k) || Math.abs(k) > POWF_CONST_LIMIT) return undefined;
  if (k % 2 === 0) return IntCst(k / 2 === 0 ? 0 : k / 2);
  return op('Divide', [IntCst(k), IntCst(2)]);
}

/**
 * x^(k/2) for odd k with C's pow rules: sqrt(x) times x^((|k|-1)/2) by repeated squaring, inverted
 * for k < 0. -0 counts as +0 (x + 0), and -inf gives +inf (k > 0) or 0 (k < 0), where sqrt
 * would give NaN; other negatives give NaN.
 */
function emitHalfPow(ctx: EmitCtx, x: string, k: number): string {
  const t = ctx.let(`(${x} + ${ctx.d.lit(0)})`);
  const s = ctx.let(ctx.d.call('sqrt', [t]));
  const m = (Math.abs(k) - 1) / 2;
  const mag = m === 0 ? s : ctx.let(`${emitIntPow(ctx, t, m)} * ${s}`);
  const r = k > 0 ? mag : `(${ctx.d.lit(1)} / ${mag})`;
  return ctx.d.select(
    `${t} == ${ctx.d.lit(Number.NEGATIVE_INFINITY)}`,
    ctx.d.lit(k > 0 ? Number.POSITIVE_INFINITY : 0),
    r,
  );
}

defineOp({
  name: 'PowHalf',
  elementwise: true,
  arity: 1,
  nParams: 1,
  dim: (d, [k]) => {
    check(Math.abs(k!) <= 2e6, () => `PowHalf: the doubled exponent must be within +-2e6, got ${k}`);
    return d[0]!;
  },
  simplify([a], [k]) {
    const x = a!;
    if (k! % 2 === 0) return op('Pow', [x], [k! / 2]);
    if (isZero(x) && k! > 0) return x;
    if (intValue(x) === 1) return x;
    return undefined;
  },
  emit: (ctx, [a], [k]) => a!.map((x) => emitHalfPow(ctx, x, k!)),
});

defineElementwise(
  'Powf',
  2,
  (ctx, x, t) => ctx.d.call('pow', [x!, t!]),
  ([x, t], _p, dim) => {
    if (x!.dim !== dim) return undefined;
    const k = doubledHalfInt(t!);
    if (k === undefined || Math.abs(k) > 2e6) return undefined;
    return k % 2 === 0 ? op('Pow', [x!], [k / 2]) : op('PowHalf', [x!], [k]);
  },
);
