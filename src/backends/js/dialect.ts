import type { Dialect, MathFn } from '../../formula/dialect.js';
import { exactDecimal } from '../../formula/dialect.js';
import type { DType } from '../../ndarray.js';

/** JavaScript spelling of each math function; `$name` helpers come from the prelude (prelude.ts). */
const MATH: Record<MathFn, string> = {
  exp: 'Math.exp', // replaced per dtype below
  log: 'Math.log',
  sqrt: 'Math.sqrt',
  sin: 'Math.sin',
  cos: 'Math.cos',
  asin: 'Math.asin',
  acos: 'Math.acos',
  atan: 'Math.atan',
  atan2: 'Math.atan2',
  pow: '$pow',
  abs: 'Math.abs',
  floor: 'Math.floor',
  round: '$round',
  fmod: '$fmod',
  min: 'Math.min',
  max: 'Math.max',
};

/**
 * JavaScript spelling of scalar code. JS computes in doubles; float32 results round on output.
 * exp is the prelude's fast `$exp32` for float32 kernels (relative error < 1e-8, float32's
 * underflow and overflow) and `$exp64` (within 1 ulp) for float64 kernels.
 */
export function jsDialect(dtype: DType): Dialect {
  const exp = dtype === 'float32' ? '$exp32' : '$exp64';
  return {
    dtype,
    lit(v) {
      if (v === Number.POSITIVE_INFINITY) return 'Infinity';
      if (v === Number.NEGATIVE_INFINITY) return '(-Infinity)';
      const s = exactDecimal(v);
      return v < 0 || Object.is(v, -0) ? `(${s})` : s;
    },
    call: (fn, args) => `${fn === 'exp' ? exp : MATH[fn]}(${args.join(', ')})`,
    declVal: (n, init) => `let ${n} = ${init};`,
    declAcc: (n, init) => `let ${n} = ${init};`,
    declInt: (n, init) => `let ${n} = ${init} | 0;`,
    bool: (c) => `((${c}) ? 1 : 0)`,
    select: (c, a, b) => `((${c}) ? ${a} : ${b})`,
  };
}
