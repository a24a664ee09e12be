import type { Expr } from './lang.js';
import type { LowerCtx } from './lowerContext.js';
import { emitArith } from './lowerValues.js';
import type { Ty } from './typing.js';

const ARITH = new Set(['+', '-', '*', '/']);

/**
 * Arithmetic whose left operand is arithmetic of the same type: the left spine, in a loop (no
 * deep recursion on long sums). With relaxed SIMD (`cfg.fma`), vector acc + a b, acc - a b and
 * a b + c become one multiply-add. False (nothing emitted) when there is nothing to gain.
 */
export function emitArithChain(ctx: LowerCtx, e: Expr & { k: 'bin' }, as: Ty): boolean {
  if (!ARITH.has(e.op)) return false;
  const spine: (Expr & { k: 'bin' })[] = [e];
  for (;;) {
    const a = spine[spine.length - 1]!.a;
    if (a.k !== 'bin' || !ARITH.has(a.op) || ctx.typeOf(a) !== as) break;
    spine.push(a);
  }
  const fma = ctx.cfg.fma === true && as === 'v';
  if (spine.length < 2 && !fma) return false;
  ctx.emitAs(spine[spine.length - 1]!.a, as);
  for (let k = spine.length - 1; k >= 0; k--) {
    const { op, b } = spine[k]!;
    const next = spine[k - 1];
    if (fma && (op === '+' || op === '-') && product(ctx, b)) {
      // acc + b1 b2, acc - b1 b2: the operands go under the accumulator.
      const t = ctx.temp('v');
      ctx.body.set(t);
      product(ctx, b)!();
      ctx.body.get(t);
      ctx.body.simd(ctx.c === 'f32' ? (op === '+' ? 0x105 : 0x106) : op === '+' ? 0x107 : 0x108);
    } else if (fma && op === '*' && next?.op === '+') {
      // a b + c in one instruction.
      ctx.emitAs(b, as);
      ctx.emitAs(next.b, as);
      ctx.body.simd(ctx.c === 'f32' ? 0x105 : 0x107);
      k--;
    } else {
      ctx.emitAs(b, as);
      emitArith(ctx, op, as);
    }
  }
  return true;
}

/** Emits the two factors of a vector product (inline, or a local declared as one), if `e` is one. */
function product(ctx: LowerCtx, e: Expr): (() => void) | undefined {
  if (e.k === 'bin' && e.op === '*' && ctx.typeOf(e) === 'v')
    return () => {
      ctx.emitAs(e.a, 'v');
      ctx.emitAs(e.b, 'v');
    };
  const f = e.k === 'id' ? ctx.productFactors(e.name) : undefined;
  return f && (() => ctx.body.get(f[0]).get(f[1]));
}
