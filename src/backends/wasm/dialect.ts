import type { Dialect } from '../../formula/dialect.js';
import { exactDecimal } from '../../formula/dialect.js';
import type { DType } from '../../ndarray.js';

/**
 * The wasm backend's spelling of scalar code: the kernel language of lang.ts. Declarations name
 * their kind (`val`, `acc`, `int`) and the lowering gives them types (a `val` is a vector when its
 * value is one, so the same op code serves scalar and SIMD loops); math functions keep their
 * MathFn names; `b2f` and `sel` are the boolean-to-float and select builtins.
 */
export function wasmDialect(dtype: DType): Dialect {
  return {
    dtype,
    lit(v) {
      if (v === Number.POSITIVE_INFINITY) return 'inf';
      if (v === Number.NEGATIVE_INFINITY) return '(-inf)';
      const s = exactDecimal(v);
      return v < 0 || Object.is(v, -0) ? `(-${s.slice(1)})` : s;
    },
    call: (fn, args) => `${fn}(${args.join(', ')})`,
    declVal: (n, init) => `val ${n} = ${init};`,
    declAcc: (n, init) => `acc ${n} = ${init};`,
    declInt: (n, init) => `int ${n} = ${init};`,
    bool: (c) => `b2f(${c})`,
    select: (c, a, b) => `sel(${c}, ${a}, ${b})`,
  };
}
