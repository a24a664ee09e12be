import { check } from '../errors.js';
import { op } from '../formula/opRegistry.js';
import { powfConstant } from '../formula/ops/index.js';
import { TensorCore, type TensorOperand } from './tensorCore.js';

/** The real-valued symbolic operations of a tensor: arithmetic, elementary functions, vectors. */
export abstract class SymbolicOps extends TensorCore {
  // ---- arithmetic (vectors broadcast against dimension-1 operands)
  add(t: TensorOperand): this {
    return this.apply('Add', [t]);
  }
  sub(t: TensorOperand): this {
    return this.apply('Subtract', [t]);
  }
  mul(t: TensorOperand): this {
    return this.apply('Mult', [t]);
  }
  div(t: TensorOperand): this {
    return this.apply('Divide', [t]);
  }
  neg(): this {
    return this.apply('Minus');
  }
  /** Integer power (compile-time exponent). */
  pow(n: number): this {
    check(Number.isInteger(n), () => `pow(n): n must be an integer (use powf for real exponents), got ${n}`);
    return this.apply('Pow', [], [n]);
  }
  /**
   * Real power x^t (C's pow). A number t that is an integer or half-integer with |t| <= 8 is
   * compiled in (multiplications and one sqrt: powf(-1.5) runs as fast as rsqrt().pow(3)); other
   * numbers are run-time parameters (one kernel for every value; a vectorised exp(t log x)).
   */
  powf(t: TensorOperand): this {
    const c = typeof t === 'number' ? powfConstant(t) : undefined;
    return c ? this.with(op('Powf', [this.formula, c])) : this.apply('Powf', [t]);
  }
  square(): this {
    return this.apply('Square');
  }
  sqrt(): this {
    return this.apply('Sqrt');
  }
  rsqrt(): this {
    return this.apply('Rsqrt');
  }
  inv(): this {
    return this.apply('Inv');
  }
  exp(): this {
    return this.apply('Exp');
  }
  log(): this {
    return this.apply('Log');
  }
  xlogx(): this {
    return this.apply('XLogX');
  }
  abs(): this {
    return this.apply('Abs');
  }
  sign(): this {
    return this.apply('Sign');
  }
  step(): this {
    return this.apply('Step');
  }
  relu(): this {
    return this.apply('ReLU');
  }
  /** Clamps into [a, b]. */
  clamp(a: TensorOperand, b: TensorOperand): this {
    return this.apply('Clamp', [a, b]);
  }
  /** this >= 0 ? a : b. */
  ifelse(a: TensorOperand, b: TensorOperand): this {
    return this.apply('IfElse', [a, b]);
  }
  sin(): this {
    return this.apply('Sin');
  }
  cos(): this {
    return this.apply('Cos');
  }
  asin(): this {
    return this.apply('Asin');
  }
  acos(): this {
    return this.apply('Acos');
  }
  atan(): this {
    return this.apply('Atan');
  }
  /** atan2(this, t). */
  atan2(t: TensorOperand): this {
    return this.apply('Atan2', [t]);
  }
  /** sin(x)/x, 1 at 0. */
  sinxdivx(): this {
    return this.apply('SinXDivX');
  }
  floor(): this {
    return this.apply('Floor');
  }
  /** Rounds to `d` decimals (half away from zero). */
  round(d = 0): this {
    return this.apply('Round', [], [d]);
  }
  /** x - n floor((x - d)/n). */
  mod(n: TensorOperand, d: TensorOperand = 0): this {
    return this.apply('Mod', [n, d]);
  }

  // ---- vectors
  /** Scalar product (KeOps `|`). */
  dot(t: TensorOperand): this {
    return this.apply('Scalprod', [t]);
  }
  sqnorm2(): this {
    return this.apply('SqNorm2');
  }
  norm2(): this {
    return this.apply('Norm2');
  }
  normalize(): this {
    return this.apply('Normalize');
  }
  /** Squared distance |this - t|². */
  sqdist(t: TensorOperand): this {
    return this.apply('SqDist', [t]);
  }
  /** Weighted squared distance (this - t)ᵀ S (this - t); s isotropic (dim 1), diagonal (D) or full (D²). */
  weightedSqDist(t: TensorOperand, s: TensorOperand): this {
    const tt = this.lift(t);
    const ss = this.lift(s);
    return this.with(op('WeightedSqDist', [ss.formula, this.formula, tt.formula]), tt, ss);
  }
  /** Weighted squared norm thisᵀ S this. */
  weightedSqNorm(s: TensorOperand): this {
    const ss = this.lift(s);
    return this.with(op('WeightedSqNorm', [ss.formula, this.formula]), ss);
  }
  /** Component k. */
  elem(k: number): this {
    return this.apply('Elem', [], [k]);
  }
  /** Components [start, start + len). */
  extract(start: number, len: number): this {
    return this.apply('Extract', [], [start, len]);
  }
  concat(t: TensorOperand): this {
    return this.apply('Concat', [t]);
  }
  /** this (a row-major m×n matrix) times v (n). */
  matvecmult(v: TensorOperand): this {
    return this.apply('MatVecMult', [v]);
  }
  /** this (n) times v (a row-major n×m matrix). */
  vecmatmult(v: TensorOperand): this {
    return this.apply('VecMatMult', [v]);
  }
  /** Outer product, row-major. */
  tensorprod(t: TensorOperand): this {
    return this.apply('TensorProd', [t]);
  }
  /** One-hot vector of dimension d from a scalar (rounded) index. */
  onehot(d: number): this {
    return this.apply('OneHot', [], [d]);
  }
}
