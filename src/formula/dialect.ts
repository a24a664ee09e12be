import type { DType } from '../ndarray.js';

/** Math functions every target dialect must provide (scalar, in the compute type). */
export type MathFn =
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'sin'
  | 'cos'
  | 'asin'
  | 'acos'
  | 'atan'
  | 'atan2'
  | 'pow'
  | 'abs'
  | 'floor'
  | 'round'
  | 'fmod'
  | 'min'
  | 'max';

/**
 * How one target spells scalar code. Every target has C-like statement syntax (`=`, `+=`,
 * `if (...) {...} else {...}`, comparisons), so generated code differs only in what a dialect
 * prints: literals, math calls, selections and declarations. Backends provide dialects; this
 * layer knows none of them.
 */
export interface Dialect {
  /** Data dtype of the kernel. */
  readonly dtype: DType;
  /** An exact literal of the compute type (finite or ±Infinity; never NaN). */
  lit(v: number): string;
  /** A call of a math function in the compute type. */
  call(fn: MathFn, args: readonly string[]): string;
  /** `name = init` declared in the compute type. */
  declVal(name: string, init: string): string;
  /** `name = init` declared in the accumulator type (float64 when that accumulator is asked for). */
  declAcc(name: string, init: string): string;
  /** `name = init` declared as a 32-bit integer. */
  declInt(name: string, init: string): string;
  /** A compute-type 0/1 value from a boolean expression. */
  bool(cond: string): string;
  /** The value `a` when the boolean expression `cond` holds, else `b` (both evaluated or not: no side effects). */
  select(cond: string, a: string, b: string): string;
}

/** What an op's code generator gets: the dialect plus a place to hoist locals and statements. */
export interface EmitCtx {
  readonly d: Dialect;
  /** Hoists `expr` into a fresh local of the compute type and returns its name. */
  let(expr: string): string;
  /** Appends a raw statement (C-like syntax shared by all targets). */
  stmt(code: string): void;
  /** A fresh identifier. */
  fresh(prefix?: string): string;
}

/**
 * Prints a finite double as the shortest decimal that reads back exactly, always with a '.' or an
 * exponent so C compilers read it as floating point. The one function that prints numbers into
 * generated code.
 */
export function exactDecimal(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`exactDecimal: ${v} is not finite`);
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}
