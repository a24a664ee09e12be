import type { Expr } from './lang.js';
import type { LowerCtx } from './lowerContext.js';
import { emitMath } from './lowerMath.js';
import { emitConvert, emitVConst } from './lowerValues.js';
import type { Ty } from './typing.js';

/**
 * Emits a call of the kernel language: memory access (ldf, ldi, ldv, ldsv, stf, sti, stv), lanes
 * and masks (lane, any, b2f, sel), else a math function (lowerMath.ts).
 */
export function emitCall(ctx: LowerCtx, e: Expr & { k: 'call' }, as: Ty): void {
  const b = ctx.body;
  const a = e.args;
  const c = ctx.c;
  const width = c === 'f32' ? 2 : 3;
  switch (e.fn) {
    case 'ldf':
      b.mem(c === 'f32' ? 0x2a : 0x2b, width, emitAddress(ctx, a[0]!));
      return;
    case 'ldi':
      ctx.emitAs(a[0]!, 'i32');
      b.mem(0x28, 2);
      return;
    case 'ldv':
      b.simdMem(0x00, width, emitAddress(ctx, a[0]!));
      return;
    case 'ldsv':
      // One value splat into every lane, straight from memory (no register held across a loop).
      b.simdMem(c === 'f32' ? 0x09 : 0x0a, width, emitAddress(ctx, a[0]!));
      return;
    case 'stf':
      ctx.emitAs(a[0]!, 'i32');
      ctx.emitAs(a[1]!, c);
      b.mem(c === 'f32' ? 0x38 : 0x39, width);
      return;
    case 'sti':
      ctx.emitAs(a[0]!, 'i32');
      ctx.emitAs(a[1]!, 'i32');
      b.mem(0x36, 2);
      return;
    case 'stv':
      ctx.emitAs(a[0]!, 'i32');
      ctx.emitAs(a[1]!, 'v');
      b.simdMem(0x0b, width);
      return;
    case 'lane': {
      const l = a[1]!;
      if (l.k !== 'num') throw new Error('internal: wasm kernel: lane() needs a literal lane');
      ctx.emitAs(a[0]!, 'v');
      b.simd(c === 'f32' ? 0x1f : 0x21).byte(l.v);
      return;
    }
    case 'any':
      ctx.emitAs(a[0]!, 'm');
      b.simd(0x53);
      return;
    case 'b2f':
      if (as === 'v') {
        ctx.emitAs(a[0]!, 'm');
        emitVConst(ctx, 1);
        b.simd(0x4e);
      } else {
        ctx.emitAs(a[0]!, 'i32');
        emitConvert(ctx, 'i32', as);
      }
      return;
    case 'sel':
      ctx.emitAs(a[1]!, as);
      ctx.emitAs(a[2]!, as);
      if (as === 'v') {
        ctx.emitAs(a[0]!, 'm');
        b.simd(0x52);
      } else {
        ctx.emitAs(a[0]!, 'i32');
        b.op(0x1b);
      }
      return;
    default:
      emitMath(ctx, e.fn, a, as);
  }
}

/**
 * Emits the address of a load and returns its constant part: `a + c` (c a non-negative integer
 * literal) leaves a on the stack and c for the instruction's offset field, which x64 code folds
 * into the addressing mode (no addition at run time). Addresses are in bounds, so the offset's
 * no-wrap rule changes nothing.
 */
function emitAddress(ctx: LowerCtx, e: Expr): number {
  if (e.k === 'bin' && e.op === '+' && e.b.k === 'num' && e.b.int && e.b.v >= 0 && e.b.v < 2 ** 31) {
    ctx.emitAs(e.a, 'i32');
    return e.b.v;
  }
  ctx.emitAs(e, 'i32');
  return 0;
}
