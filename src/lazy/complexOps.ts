import { SymbolicOps } from './symbolicOps.js';
import type { TensorOperand } from './tensorCore.js';

/**
 * The complex operations of a tensor: a complex vector of k components is a real one of
 * dimension 2k, (re, im) interleaved (KeOps' layout); a complex scalar (dimension 2) broadcasts in
 * the binary ops.
 */
export abstract class ComplexOps extends SymbolicOps {
  /** Real parts (2k -> k). */
  real(): this {
    return this.apply('ComplexReal');
  }
  /** Imaginary parts (2k -> k). */
  imag(): this {
    return this.apply('ComplexImag');
  }
  /** A real vector as complex numbers with zero imaginary parts (k -> 2k). */
  real2complex(): this {
    return this.apply('Real2Complex');
  }
  /** A real vector as purely imaginary numbers (k -> 2k). */
  imag2complex(): this {
    return this.apply('Imag2Complex');
  }
  /** exp(i·this) = cos + i sin of a real vector (k -> 2k). */
  exp1j(): this {
    return this.apply('ComplexExp1j');
  }
  /** Complex conjugate. */
  conj(): this {
    return this.apply('Conj');
  }
  /** Complex exponential. */
  complexExp(): this {
    return this.apply('ComplexExp');
  }
  /** Moduli (2k -> k). */
  complexAbs(): this {
    return this.apply('ComplexAbs');
  }
  /** Squared moduli (2k -> k). */
  complexSquareAbs(): this {
    return this.apply('ComplexSquareAbs');
  }
  /** Arguments in (-π, π] (2k -> k). */
  complexAngle(): this {
    return this.apply('ComplexAngle');
  }
  /** Sum of the complex components (2k -> 2). */
  complexSum(): this {
    return this.apply('ComplexSum');
  }
  complexAdd(t: TensorOperand): this {
    return this.apply('ComplexAdd', [t]);
  }
  complexSub(t: TensorOperand): this {
    return this.apply('ComplexSubtract', [t]);
  }
  /** Complex product, component by component. */
  complexMul(t: TensorOperand): this {
    return this.apply('ComplexMult', [t]);
  }
  /** Complex quotient, component by component. */
  complexDiv(t: TensorOperand): this {
    return this.apply('ComplexDivide', [t]);
  }
}
