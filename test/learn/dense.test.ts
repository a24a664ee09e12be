import { describe, expect, it } from 'vitest';
import {
  backSolve,
  cholesky,
  crossProduct,
  forwardSolve,
  multiply,
  symmetricEigen,
  symmetricEigenQR,
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

  it('symmetricEigenQR: A V = V Λ, Vᵀ V = I, values decreasing, also with repeated and zero eigenvalues', () => {
    const cases: [string, Float64Array, number][] = [];
    const n = 40;
    const A = spd(n, 5);
    for (let t = 0; t < n; t++) A[t * n + t]! -= 3 * n; // indefinite
    cases.push(['indefinite', A, n]);
    // Rank 3 (37 zero eigenvalues) with a double eigenvalue: u uᵀ + v vᵀ + 2 w wᵀ for orthonormal u, v, w.
    const B = new Float64Array(n * n);
    const basis = [0, 1, 2].map((k) =>
      Float64Array.from({ length: n }, (_, i) =>
        i % 3 === k ? 1 / Math.sqrt(Math.floor((n - 1 - k) / 3) + 1) : 0,
      ),
    );
    [1, 1, 2].forEach((l, k) => {
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) B[i * n + j]! += l * basis[k]![i]! * basis[k]![j]!;
    });
    cases.push(['rank 3', B, n]);
    cases.push(['1×1', Float64Array.of(-2.5), 1]);
    cases.push(['2×2 diagonal', Float64Array.of(1, 0, 0, 3), 2]);
    for (const [, M, m] of cases) {
      const { values, vectors } = symmetricEigenQR(M, m);
      for (let c = 1; c < m; c++) expect(values[c]!).toBeLessThanOrEqual(values[c - 1]!);
      const VtV = crossProduct(vectors, m, vectors, m, m);
      const MV = multiply(M, m, vectors, m, m);
      let tr = 0;
      for (let i = 0; i < m; i++) {
        tr += M[i * m + i]!;
        for (let c = 0; c < m; c++) {
          expect(VtV[i * m + c]).toBeCloseTo(i === c ? 1 : 0, 10);
          expect(MV[i * m + c]).toBeCloseTo(values[c]! * vectors[i * m + c]!, 8);
        }
      }
      expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(tr, 8);
    }
    expect(Array.from(symmetricEigenQR(B, n).values.slice(0, 4))).toEqual([
      expect.closeTo(2, 10),
      expect.closeTo(1, 10),
      expect.closeTo(1, 10),
      expect.closeTo(0, 10),
    ]);
    expect(Array.from(symmetricEigenQR(Float64Array.of(1, 0, 0, 3), 2).values)).toEqual([3, 1]);
  });
});
