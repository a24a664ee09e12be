import { check } from '../../errors.js';
import { isZero } from '../node.js';
import { defineOp, op } from '../opRegistry.js';
import { Zero } from './leaves.js';

/**
 * Small dense linear algebra on the components of one (i, j) pair, matrices row-major:
 * MatVecMult(A, v) (A: m*n, v: n -> m), VecMatMult(v, A) (v: m, A: m*n -> n),
 * TensorProd(a, b) (outer product, out[i*nb + j] = a_i b_j).
 */

defineOp({
  name: 'MatVecMult',
  arity: 2,
  dim: ([a, v]) => {
    check(
      a! % v! === 0,
      () => `MatVecMult: the matrix dimension (${a}) must be a multiple of the vector dimension (${v})`,
    );
    return a! / v!;
  },
  simplify([a, v]) {
    const m = a!.dim / v!.dim;
    if (isZero(a!) || isZero(v!)) return Zero(m);
    if (v!.dim === 1) return op('Mult', [a!, v!]);
    if (m === 1) return op('Scalprod', [a!, v!]);
    return undefined;
  },
  emit: (_c, [a, v], _p, m) => {
    const n = v!.length;
    return Array.from(
      { length: m },
      (_, i) => `(${v!.map((x, j) => `${a![i * n + j]} * ${x}`).join(' + ')})`,
    );
  },
});

defineOp({
  name: 'VecMatMult',
  arity: 2,
  dim: ([v, a]) => {
    check(
      a! % v! === 0,
      () => `VecMatMult: the matrix dimension (${a}) must be a multiple of the vector dimension (${v})`,
    );
    return a! / v!;
  },
  simplify([v, a]) {
    const n = a!.dim / v!.dim;
    if (isZero(a!) || isZero(v!)) return Zero(n);
    if (v!.dim === 1) return op('Mult', [v!, a!]);
    if (n === 1) return op('Scalprod', [v!, a!]);
    return undefined;
  },
  emit: (_c, [v, a], _p, n) =>
    Array.from({ length: n }, (_, j) => `(${v!.map((x, i) => `${x} * ${a![i * n + j]}`).join(' + ')})`),
});

defineOp({
  name: 'TensorProd',
  arity: 2,
  dim: ([a, b]) => a! * b!,
  simplify([a, b]) {
    if (isZero(a!) || isZero(b!)) return Zero(a!.dim * b!.dim);
    if (a!.dim === 1 || b!.dim === 1) return op('Mult', [a!, b!]);
    return undefined;
  },
  emit: (_c, [a, b]) => a!.flatMap((x) => b!.map((y) => `(${x} * ${y})`)),
});
