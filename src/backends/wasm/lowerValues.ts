import type { LowerCtx } from './lowerContext.js';
import type { Ty } from './typing.js';

/** Emits the constant `v` as a value of type `ty` (a vector: every lane = v). */
export function emitConstant(ctx: LowerCtx, v: number, ty: Ty): void {
  const b = ctx.body;
  if (ty === 'i32') b.i32c(v);
  else if (ty === 'f32') b.f32c(v);
  else if (ty === 'f64') b.f64c(v);
  else if (ty === 'v') emitVConst(ctx, v);
  else throw new Error(`internal: wasm kernel: a constant of type ${ty}`);
}

/** A v128.const with every lane = v (compute type). */
export function emitVConst(ctx: LowerCtx, v: number): void {
  const bytes =
    ctx.c === 'f32'
      ? new Uint8Array(new Float32Array(4).fill(v).buffer)
      : new Uint8Array(new Float64Array(2).fill(v).buffer);
  ctx.body.v128(bytes);
}

/**
 * Converts the value on the stack from type `from` to `to`, following C's promotions
 * (int < f32 < f64); a scalar becomes a splat vector, an int 0/1 a mask.
 */
export function emitConvert(ctx: LowerCtx, from: Ty, to: Ty): void {
  if (from === to) return;
  const b = ctx.body;
  if (to === 'v') {
    if (from === 'm' || from === 'none') throw new Error(`internal: wasm kernel: ${from} used as a vector`);
    emitConvert(ctx, from, ctx.c);
    b.simd(ctx.c === 'f32' ? 0x13 : 0x14);
    return;
  }
  if (to === 'm') {
    if (from !== 'i32') throw new Error(`internal: wasm kernel: ${from} used as a mask`);
    // 0/1 -> all-zeros / all-ones lanes.
    const t = ctx.temp('i32');
    b.set(t).i32c(0).get(t).op(0x6b).simd(0x11);
    return;
  }
  if (from === 'v' || from === 'm' || from === 'none')
    throw new Error(`internal: wasm kernel: ${from} used as ${to}`);
  if (to === 'i32') {
    if (from === 'f32') b.op(0xa8);
    else b.op(0xaa);
    return;
  }
  if (to === 'f32') b.op(from === 'i32' ? 0xb2 : 0xb6);
  else if (to === 'f64') b.op(from === 'i32' ? 0xb7 : 0xbb);
  else throw new Error(`internal: wasm kernel: cannot convert ${from} to ${to}`);
}

/** The instruction of + - * / on two values of type `t` on the stack. */
export function emitArith(ctx: LowerCtx, op: string, t: Ty): void {
  const b = ctx.body;
  const k = ['+', '-', '*', '/'].indexOf(op);
  if (k < 0) throw new Error(`internal: wasm kernel: operator ${op}`);
  if (t === 'i32') b.op([0x6a, 0x6b, 0x6c, 0x6d][k]!);
  else if (t === 'f32') b.op(0x92 + k);
  else if (t === 'f64') b.op(0xa0 + k);
  else b.simd((ctx.c === 'f32' ? 0xe4 : 0xf0) + k);
}
