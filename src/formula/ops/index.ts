/**
 * Registers every op (import for side effects) and re-exports the leaf constructors and helpers.
 *
 * IR names (args; integer params). Elementwise ops broadcast dimension-1 operands.
 * - leaves: Var(; index, catCode, dim), IntCst(; n), Zero(; dim)
 * - arithmetic: Add, Subtract, Mult, Divide (a, b), Minus (x)
 * - math: Exp, Log, XLogX, Square, Inv, Sqrt, Rsqrt (x); Pow(x; n); PowHalf(x; k) = x^(k/2);
 *   Powf(x, t)
 * - trig: Sin, Cos, SinXDivX, SinXDivXDiff (its derivative), Asin, Acos, Atan (x); Atan2(y, x)
 * - piecewise: Abs, Sign, Step, ReLU, Floor (x); Round(x; decimals); Clamp(x, a, b);
 *   ClampInt(x; a, b); Mod(x, n, d); IfElse(c, a, b)
 * - comparisons (0/1): LessThan, LessOrEqual, GreaterThan, GreaterOrEqual, Equal, NotEqual (a, b)
 * - vectors: Sum, Max, Min, ArgMax, ArgMin, SqNorm2, Norm2, Normalize (x); SumT(x; d);
 *   Elem(x; k); ElemT(x; n, k); Extract(x; start, len); ExtractT(x; start, dim); Concat(a, b);
 *   OneHot(x; d); SqDist(a, b); Scalprod(a, b); WeightedSqNorm(s, x); WeightedSqDist(s, x, y)
 * - linear algebra: MatVecMult(A, v), VecMatMult(v, A), TensorProd(a, b);
 *   TensorDot(a, b; encodeTensorDot(...)); Kron(a, b; encodeKron(...))
 * - complex numbers (macros expanded into the ops above, re/im interleaved): see complex.ts
 */
import './arith.js';
import './math.js';
import './trig.js';
import './piecewise.js';
import './compare.js';
import './vector.js';
import './slicing.js';
import './minmax.js';
import './norms.js';
import './linalg.js';
import './tensordot.js';
import './complex.js';

export { COMPARISON_OPS } from './compare.js';
export { IntCst, Var, Zero } from './leaves.js';
export { doubledHalfInt, POWF_CONST_LIMIT, powfConstant } from './math.js';
export {
  decodeKron,
  decodeTensorDot,
  encodeKron,
  encodeTensorDot,
  kronAsTensorDot,
  type TensorDotSpec,
  tensorDotLayout,
} from './tensorparams.js';
