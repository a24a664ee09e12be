import type { Expr } from './lang.js';
import type { LowerCtx } from './lowerContext.js';
import type { Ty } from './typing.js';

/** Imported scalar math functions (float64, JavaScript's Math or the JS prelude), in import order. */
export const MATH_IMPORTS = [
  'exp',
  'log',
  'sin',
  'cos',
  'asin',
  'acos',
  'atan',
  'atan2',
  'pow',
  'round',
  'fmod',
] as const;
const ARITY: Record<string, number> = { atan2: 2, pow: 2, fmod: 2 };

/** Native float instructions (scalar f32, f64, vector) of the math functions wasm has. */
const NATIVE: Record<string, [number, number, number, number]> = {
  sqrt: [0x91, 0x9f, 0xe3, 0xef],
  abs: [0x8b, 0x99, 0xe0, 0xec],
  floor: [0x8e, 0x9c, 0x68, 0x75],
  min: [0x96, 0xa4, 0xe8, 0xf4],
  max: [0x97, 0xa5, 0xe9, 0xf5],
};

/**
 * Emits a math function of type `as`: a native instruction where wasm has one, the inlined vector
 * exp (vmath.ts) where the module has it, the module's vector exp/log, else the imported scalar
 * function (lane by lane for a vector).
 */
export function emitMath(ctx: LowerCtx, name: string, args: readonly Expr[], as: Ty): void {
  const b = ctx.body;
  // expn(x): exp of a value the kernel skeleton knows to be <= 0 or NaN (log-sum-exp rescaling).
  const promised = name === 'expn';
  const fn = promised ? 'exp' : name;
  const nat = NATIVE[fn];
  if (nat) {
    for (const x of args) ctx.emitAs(x, as);
    if (as === 'f32') b.op(nat[0]);
    else if (as === 'f64') b.op(nat[1]);
    else b.simd(ctx.c === 'f32' ? nat[2] : nat[3]);
    return;
  }
  const imp = (MATH_IMPORTS as readonly string[]).indexOf(fn);
  if (imp < 0) throw new Error(`internal: wasm kernel: unknown function ${fn}`);
  if ((ARITY[fn] ?? 1) !== args.length)
    throw new Error(`internal: wasm kernel: ${fn} takes ${ARITY[fn] ?? 1} arguments`);
  const h = ctx.cfg.helpers;
  if (fn === 'exp' && h.vexpInline) {
    // Inline vector code; a scalar goes through lane 0 of a splat (no call into JavaScript).
    const lanes = as === 'v' ? ctx.c : as;
    const code = lanes === 'f32' ? h.vexpInline.f32 : h.vexpInline.f64;
    // exp(-e) (Gaussian kernels): the negation folds into the exp's constants; when e is
    // known to be >= 0, the result is at most 1 (cheaper scaling).
    const neg = ctx.negationOf(args[0]!);
    ctx.emitAs(neg ?? args[0]!, as);
    if (as !== 'v') b.simd(lanes === 'f32' ? 0x13 : 0x14);
    code(b, ctx.scratch(), {
      negate: neg !== undefined,
      nonPositive: promised || (neg !== undefined && ctx.nonNegative(neg)),
      fma: ctx.cfg.fma === true,
    });
    if (as !== 'v') b.simd(lanes === 'f32' ? 0x1f : 0x21).byte(0);
    return;
  }
  if (as !== 'v') {
    for (const x of args) ctx.emitAs(x, 'f64');
    b.call(imp);
    if (as === 'f32') b.op(0xb6);
    return;
  }
  const vec = fn === 'exp' ? h.vexp : fn === 'log' ? h.vlog : undefined;
  if (vec !== undefined) {
    ctx.emitAs(args[0]!, 'v');
    b.call(vec);
    return;
  }
  emitLaneByLane(ctx, imp, args);
}

/** A vector function through the imported scalar function `imp`, one lane at a time. */
function emitLaneByLane(ctx: LowerCtx, imp: number, args: readonly Expr[]): void {
  const b = ctx.body;
  const temps = args.map((x) => {
    const t = ctx.temp('v');
    ctx.emitAs(x, 'v');
    b.set(t);
    return t;
  });
  const res = ctx.temp('v');
  const f32 = ctx.c === 'f32';
  b.get(temps[0]!).set(res);
  for (let l = 0; l < (f32 ? 4 : 2); l++) {
    b.get(res);
    for (const t of temps) {
      b.get(t)
        .simd(f32 ? 0x1f : 0x21)
        .byte(l);
      if (f32) b.op(0xbb);
    }
    b.call(imp);
    if (f32) b.op(0xb6);
    b.simd(f32 ? 0x20 : 0x22).byte(l);
    b.set(res);
  }
  b.get(res);
}
