import { type Body, T, type ValType } from './encoder.js';
import type { Expr } from './lang.js';
import type { Ty } from './typing.js';
import type { ExpOptions } from './vmath.js';

/** Where the lowering finds the module's helper functions (function indices). */
export interface Helpers {
  /** Vector exp and log of the compute type, when the module has them. */
  vexp?: number;
  vlog?: number;
  /** Inline code of the vector exp per lane type (x on the stack, four v128 scratch locals). */
  vexpInline?: Record<
    'f32' | 'f64',
    (b: Body, locals: readonly [number, number, number, number], opts: ExpOptions) => void
  >;
}

/** The compute type, the accumulator type and the helpers of one function's lowering. */
export interface LowerCfg {
  compute: 'f32' | 'f64';
  acc: 'f32' | 'f64';
  helpers: Helpers;
  /**
   * Fuses vector a * b + c and c - a * b into relaxed SIMD's multiply-add (one rounding where the
   * CPU has FMA): only where the runtime validates relaxed SIMD (features.ts).
   */
  fma?: boolean;
}

/** The wasm value type of each kernel-language type. */
export const WASM_TY: Record<Exclude<Ty, 'none'>, ValType> = {
  i32: T.i32,
  f32: T.f32,
  f64: T.f64,
  v: T.v128,
  m: T.v128,
};

/**
 * What the parts of the expression lowering (calls, math, fused arithmetic) need of the function
 * being lowered: its body, its configuration, its locals and what is known about its values.
 */
export interface LowerCtx {
  /** The lowered statements so far. */
  readonly body: Body;
  readonly cfg: LowerCfg;
  /** The compute type (the lanes of a vector). */
  readonly c: 'f32' | 'f64';
  /** The type of an expression (memoised by the kernel's typing). */
  typeOf(e: Expr): Ty;
  /** Emits `e` converted to type `to`. */
  emitAs(e: Expr, to: Ty): void;
  /** A fresh unnamed local. */
  temp(ty: Ty): number;
  /** x when `e` is -x of the same type, directly or through a local declared as -y. */
  negationOf(e: Expr): Expr | undefined;
  /** True when `e` is known to be non-negative. */
  nonNegative(e: Expr): boolean;
  /** The locals of the factors of a local declared as a vector product (fused multiply-add). */
  productFactors(name: string): readonly [number, number] | undefined;
  /** The v128 scratch locals of inlined helpers (allocated once per function). */
  scratch(): readonly [number, number, number, number];
}
