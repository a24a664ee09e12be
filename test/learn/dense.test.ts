import { describe, expect, it } from 'vitest';
import {
  backSolve,
  cholesky,
  crossProduct,
  forwardSolve,
  multiply,
  symmetricEigen,
} from '../../src/learn/dense.js';
import { normal, rng } from '../helpers/rng.js';

/** A random symmetric positive definite n×n matrix B Bᵀ + n·I. */
function spd(n: number, seed: number): Float64Array {
  const B = normal(rng(seed), n * n);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += B[i * n + k]! * B[j * n + k]!;
      A[i * n + j] = s;
    }
  return A;
}

describe('dense helpers', () => {
  it('cholesky: L Lᵀ = A, and the triangular solves invert A', () => {
    const n = 7;
    const A = spd(n, 1);
    const L = cholesky(A, n)!;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += L[i * n + k]! * L[j * n + k]!;
        expect(s).toBeCloseTo(A[i * n + j]!, 10);
        if (j > i) expect(L[i * n + j]).toBe(0);
      }
    const b = normal(rng(2), n * 2);
    const y = Float64Array.from(b);
    forwardSolve(L, n, y, 2);
    backSolve(L, n, y, 2);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < 2; c++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += A[i * n + k]! * y[k * 2 + c]!;
        expect(s).toBeCloseTo(b[i * 2 + c]!, 10);
      }
  });

  it('cholesky reports an indefinite matrix', () => {
    expect(cholesky(Float64Array.of(1, 2, 2, 1), 2)).toBeUndefined();
  });

  it('symmetricEigen: A V = V Λ, Vᵀ V = I, values decreasing', () => {
    const n = 9;
    const A = spd(n, 3);
    for (let t = 0; t < n; t++) A[t * n + t]! -= 2 * n; // make it indefinite
    const { values, vectors } = symmetricEigen(A, n);
    for (let c = 1; c < n; c++) expect(values[c]!).toBeLessThanOrEqual(values[c - 1]!);
    expect(values[n - 1]!).toBeLessThan(0);
    const VtV = crossProduct(vectors, n, vectors, n, n);
    const AV = multiply(A, n, vectors, n, n);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < n; c++) {
        expect(VtV[i * n + c]).toBeCloseTo(i === c ? 1 : 0, 10);
        expect(AV[i * n + c]).toBeCloseTo(values[c]! * vectors[i * n + c]!, 8);
      }
    // trace is preserved
    let tr = 0;
    for (let i = 0; i < n; i++) tr += A[i * n + i]!;
    expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(tr, 8);
  });
});
