/**
 * The size limits of lazytensor, in one place. Each is checked up front, where the size first
 * appears (building a node, binding data, parsing, building a kernel spec, generating code), and
 * a size over its limit throws a LazyTensorError that names the limit and the value, instead of
 * running for minutes, exhausting memory or overflowing the stack later.
 *
 * Why these values: backends generate straight-line code, one local per scalar component of each
 * node (loops over large dimensions come later). The JavaScript engine gives each function one
 * stack frame holding all of its locals, and the main thread's stack (~1 MB) overflows between
 * 120,000 and 160,000 of them (measured on Node 20, x64); parsing and compiling such code also
 * takes seconds. The limits keep every kernel well inside that (2.4x margin), and cover every
 * size the test suite and the KeOps examples use (D = 990 vectors, 300-wide weights, K = 100).
 */
import { LazyTensorError } from './errors.js';

/**
 * Largest vector dimension of one value: a variable (the last axis of Vi/Vj/Pm data), or the
 * result of any operation (OneHot(n), SumT(x, n), TensorProd, Concat, Zero(n), ...).
 */
export const MAX_DIM = 10_000;

/** Largest K of the K-min reductions (KMin, ArgKMin, KMin_ArgKMin): the K slots are unrolled. */
export const MAX_K = 1_000;

/**
 * Largest kernel: the scalar values one (i, j) step holds, i.e. the sum of the dimensions of the
 * distinct nodes of the formula (and weight), variables included, plus the accumulator's state
 * (K·dim for the K-min reductions).
 */
export const MAX_KERNEL_SCALARS = 50_000;

/** Longest generated source of one kernel (characters): a backstop behind MAX_KERNEL_SCALARS. */
export const MAX_GENERATED_CODE = 16_000_000;

/** Longest formula string accepted by genred / parseFormula (characters). */
export const MAX_FORMULA_LENGTH = 100_000;

/** Deepest nesting of parentheses, calls, signs and powers accepted in one formula string. */
export const MAX_FORMULA_DEPTH = 500;

/** Most arguments of one call, or items of one tuple, in a formula string. */
export const MAX_FORMULA_ARGS = 10_000;

/**
 * Throws a LazyTensorError when `value` exceeds `limit`: `${what} is ${value}, over the limit
 * ${name} = ${limit}`, plus `hint` when given.
 */
export function checkLimit(what: string, value: number, name: string, limit: number, hint?: string): void {
  if (value > limit) {
    throw new LazyTensorError(
      `${what} is ${value}, over the limit ${name} = ${limit}${hint ? ` (${hint})` : ''}`,
    );
  }
}

/** Checks a vector dimension against MAX_DIM. */
export function checkDim(what: string, dim: number): void {
  checkLimit(what, dim, 'MAX_DIM', MAX_DIM);
}
