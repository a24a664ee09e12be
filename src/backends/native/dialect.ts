import type { Dialect, MathFn } from '../../formula/dialect.js';
import { exactDecimal } from '../../formula/dialect.js';
import type { DType } from '../../ndarray.js';
import type { AccumulatorKind } from '../../reduction/index.js';
import { cMathName } from '../common/cmath.js';

/**
 * C++ spellings of the math functions, as compiler builtins (no <cmath>: it costs a fifth of a
 * second per compilation). exp, log, pow and the trigonometric functions (sin, cos, atan, atan2,
 * asin, acos) are the prelude's branch-free versions (vectorisable, within 1-2 ulps; no libm call
 * in the pair loop; float32 kernels evaluate pow and the inverse trigonometric functions in
 * double); round is C's (halves away from zero); min and max follow JavaScript's Math semantics
 * so that native and JS kernels agree; the rest are the builtins of the compute type (`f` suffix
 * in float32 kernels).
 */
const PRELUDE_FNS: Partial<Record<MathFn, string>> = {
  exp: 'lt::exp_',
  log: 'lt::log_',
  pow: 'lt::pow_',
  sin: 'lt::sin_',
  cos: 'lt::cos_',
  atan: 'lt::atan_',
  atan2: 'lt::atan2_',
  asin: 'lt::asin_',
  acos: 'lt::acos_',
  round: 'lt::round_',
  min: 'lt::min_',
  max: 'lt::max_',
};

/** The prelude functions that stand for a libm function (exp and log had no libm form before). */
const LIBM_REPLACED: ReadonlySet<MathFn> = new Set(['sin', 'cos', 'atan', 'atan2', 'asin', 'acos', 'pow']);

let libmMath = false;

/**
 * Benchmarks only (not public API): true makes new kernels call libm (the compiler builtins) for
 * the functions the prelude replaces, as before the prelude had them, so that a benchmark can
 * compare both in one process. Kernels already built keep their code (call resetNativeMemory()
 * after switching; the sources differ, so the disk cache keeps both).
 */
export function useLibmMath(on: boolean): void {
  libmMath = on;
}

function mathName(fn: MathFn, dtype: DType): string {
  if (libmMath && LIBM_REPLACED.has(fn)) return `__builtin_${cMathName(fn, dtype)}`;
  const own = PRELUDE_FNS[fn];
  if (own) return own;
  return `__builtin_${cMathName(fn, dtype)}`;
}

/** Prelude templates that need the compute type spelled out (arguments may mix T and literals). */
const TEMPLATED: ReadonlySet<MathFn> = new Set(['min', 'max']);

const FLT_MAX = 3.4028234663852886e38;
const FLT_MIN = 1.1754943508222875e-38;

/** A C++ literal of type T (`float` or `double`); float literals outside float's range are casts. */
function literal(v: number, dtype: DType): string {
  const T = dtype === 'float32' ? 'float' : 'double';
  if (v === Number.POSITIVE_INFINITY) return `${T}(__builtin_inf())`;
  if (v === Number.NEGATIVE_INFINITY) return `${T}(-__builtin_inf())`;
  const s = exactDecimal(v);
  const a = Math.abs(v);
  const text = dtype === 'float64' ? s : a === 0 || (a >= FLT_MIN && a <= FLT_MAX) ? `${s}f` : `float(${s})`;
  return v < 0 || Object.is(v, -0) ? `(${text})` : text;
}

/**
 * The C++ dialect of one kernel: compute type `T` (float or double), accumulator type `A`
 * (double when the float64 accumulator is asked for, else T). The generated code declares the
 * typedefs `T` and `A`; the dialect only refers to them.
 */
export function cppDialect(
  dtype: DType,
  accumulator: AccumulatorKind = 'default',
): Dialect & { accType: string } {
  const accType = accumulator === 'float64' || dtype === 'float64' ? 'double' : 'float';
  return {
    dtype,
    accType,
    lit: (v) => literal(v, dtype),
    call: (fn, args) =>
      TEMPLATED.has(fn)
        ? `${mathName(fn, dtype)}<T>(${args.join(', ')})`
        : `${mathName(fn, dtype)}(${args.join(', ')})`,
    declVal: (n, init) => `T ${n} = ${init};`,
    declAcc: (n, init) => `A ${n} = ${init};`,
    declInt: (n, init) => `int32_t ${n} = ${init};`,
    bool: (c) => `((${c}) ? T(1) : T(0))`,
    select: (c, a, b) => `((${c}) ? ${a} : ${b})`,
  };
}
