import type { Dialect, MathFn } from '../../formula/dialect.js';
import { exactDecimal } from '../../formula/dialect.js';
import type { DType } from '../../ndarray.js';
import type { AccumulatorKind } from '../../reduction/index.js';
import { cMathName } from '../common/cmath.js';

/** Fast single-precision intrinsics used when `fastMath` is asked for. */
const F32_FAST: Partial<Record<MathFn, string>> = {
  exp: '__expf',
  log: '__logf',
  sin: '__sinf',
  cos: '__cosf',
};

/** Options of the CUDA dialect. */
export interface CudaDialectOptions {
  /** Accumulator of sums: 'float64' declares accumulators as double. */
  accumulator?: AccumulatorKind;
  /** Use the hardware approximations (`__expf`, `__logf`, ...) for float32. */
  fastMath?: boolean;
}

/** The C scalar type of a dtype. */
export function cType(dtype: DType): 'float' | 'double' {
  return dtype === 'float32' ? 'float' : 'double';
}

/**
 * CUDA C++ spelling of scalar code. float32 kernels compute in `float` with `f`-suffixed literals
 * and the `...f` math functions; float64 kernels in `double`. Infinities use the `INFINITY` macro
 * (defined by the kernel prelude when the compiler does not provide it).
 */
export function cudaDialect(dtype: DType, opts: CudaDialectOptions = {}): Dialect {
  const t = cType(dtype);
  const accT = opts.accumulator === 'float64' ? 'double' : t;
  const fast = dtype === 'float32' && opts.fastMath ? F32_FAST : {};
  const name = (fn: MathFn) => fast[fn] ?? cMathName(fn, dtype);
  return {
    dtype,
    lit(v) {
      if (Number.isNaN(v)) throw new Error('internal: NaN literal in generated CUDA code');
      if (v === Number.POSITIVE_INFINITY) return t === 'float' ? 'INFINITY' : '((double)INFINITY)';
      if (v === Number.NEGATIVE_INFINITY) return t === 'float' ? '(-INFINITY)' : '(-(double)INFINITY)';
      const s = exactDecimal(v) + (t === 'float' ? 'f' : '');
      return v < 0 || Object.is(v, -0) ? `(${s})` : s;
    },
    call(fn, args) {
      // round is C's: halves go away from zero, as in KeOps and the JavaScript reference.
      return `${name(fn)}(${args.join(', ')})`;
    },
    declVal: (n, init) => `${t} ${n} = ${init};`,
    declAcc: (n, init) => `${accT} ${n} = ${init};`,
    declInt: (n, init) => `int ${n} = ${init};`,
    bool: (c) => `((${c}) ? ${t === 'float' ? '1.0f' : '1.0'} : ${t === 'float' ? '0.0f' : '0.0'})`,
    select: (c, a, b) => `((${c}) ? ${a} : ${b})`,
  };
}
