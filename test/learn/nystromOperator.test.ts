import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { kernelRidge, nystromEigenpairs } from '../../src/learn/index.js';
import { drawLandmarks } from '../../src/learn/nystrom.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

const N = 150;
const D = 3;
const S = 0.3;
const R = 20;
const SEED = 3;
const X = uniform(rng(7), N * D);
const x = { data: X, shape: [N, D] };

const gauss = (a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number => {
  let d2 = 0;
  for (let k = 0; k < D; k++) d2 += (a[i * D + k]! - b[j * D + k]!) ** 2;
  return Math.exp(-d2 / (2 * S * S));
};

/** The dense Nyström matrix K_nm K_mm⁻¹ K_mn in float64 (K_mm⁻¹ by Gauss–Jordan with pivoting). */
function nystromDense(landmarks: Int32Array): Float64Array {
  const r = landmarks.length;
  const A = new Float64Array(r * r);
  const B = new Float64Array(r * N); // K_mn, then K_mm⁻¹ K_mn
  for (let a = 0; a < r; a++) {
    for (let b = 0; b < r; b++) A[a * r + b] = gauss(X, landmarks[a]!, X, landmarks[b]!);
    for (let j = 0; j < N; j++) B[a * N + j] = gauss(X, landmarks[a]!, X, j);
  }
  for (let c = 0; c < r; c++) {
    let p = c;
    for (let q = c + 1; q < r; q++) if (Math.abs(A[q * r + c]!) > Math.abs(A[p * r + c]!)) p = q;
    for (let k = 0; k < r; k++) [A[c * r + k], A[p * r + k]] = [A[p * r + k]!, A[c * r + k]!];
    for (let k = 0; k < N; k++) [B[c * N + k], B[p * N + k]] = [B[p * N + k]!, B[c * N + k]!];
    for (let q = 0; q < r; q++) {
      if (q === c) continue;
      const f = A[q * r + c]! / A[c * r + c]!;
      for (let k = 0; k < r; k++) A[q * r + k]! -= f * A[c * r + k]!;
      for (let k = 0; k < N; k++) B[q * N + k]! -= f * B[c * N + k]!;
    }
  }
  for (let c = 0; c < r; c++) for (let k = 0; k < N; k++) B[c * N + k]! /= A[c * r + c];
  const out = new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let a = 0; a < r; a++) s += gauss(X, i, X, landmarks[a]!) * B[a * N + j]!;
      out[i * N + j] = s;
    }
  return out;
}

const Khat = nystromDense(drawLandmarks(N, R, SEED));
/** Trace of the dense Nyström matrix: the sum of all its eigenvalues. */
const trace = Array.from({ length: N }, (_, i) => Khat[i * N + i]!).reduce((s, v) => s + v, 0);

describe.each(backendsUnderTest())('implicit Nyström operator on %s', (backend) => {
  it('nystromEigenpairs: orthonormal eigenpairs of the dense K_nm K_mm⁻¹ K_mn, largest first', () => {
    const k = 6;
    const { values, vectors } = nystromEigenpairs(x, k, { scale: S, rank: R, seed: SEED, backend });
    expect(vectors.shape).toEqual([N, k]);
    for (let c = 0; c < k; c++) {
      if (c > 0) expect(values[c]!).toBeLessThanOrEqual(values[c - 1]!);
      for (let d = 0; d < k; d++) {
        let s = 0;
        for (let i = 0; i < N; i++) s += vectors.data[i * k + c]! * vectors.data[i * k + d]!;
        expect(s).toBeCloseTo(c === d ? 1 : 0, 6);
      }
      let res = 0;
      for (let i = 0; i < N; i++) {
        let s = 0;
        for (let j = 0; j < N; j++) s += Khat[i * N + j]! * vectors.data[j * k + c]!;
        res += (s - values[c]! * vectors.data[i * k + c]!) ** 2;
      }
      expect(Math.sqrt(res)).toBeLessThan(1e-6 * values[0]!);
    }
    // All R eigenvalues sum to the trace; the 6 largest hold most of it and none exceeds it.
    const all = nystromEigenpairs(x, R, { scale: S, rank: R, seed: SEED, backend }).values;
    expect(all.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 4);
    expect(Array.from(all.slice(0, k))).toEqual(Array.from(values).map((v) => expect.closeTo(v, 6)));
  });

  it('float32 data: kernelRidge accumulates in float64 by default and reaches tol 1e-7', () => {
    const n = 500;
    const r = rng(5);
    const xs = uniform(r, n * D);
    const ys = uniform(r, n, -0.5, 0.5);
    const x32 = { data: Float32Array.from(xs), shape: [n, D] };
    const y32 = { data: Float32Array.from(ys), shape: [n] };
    const m = kernelRidge(x32, y32, { scale: 0.5, alpha: 1e-2, tol: 1e-7, backend, maxIter: 100 });
    expect(m.residual).toBeLessThanOrEqual(1e-7);
    expect(m.coef.data).toBeInstanceOf(Float32Array);
  });

  it('bad input is reported', () => {
    expect(() => nystromEigenpairs(x, R + 1, { scale: S, rank: R, backend })).toThrow(LazyTensorError);
    expect(() => nystromEigenpairs(x, 0, { scale: S, rank: R, backend })).toThrow(/k must be/);
    expect(() => nystromEigenpairs(x, 2, { scale: -1, rank: R, backend })).toThrow(/scale must be/);
    expect(() =>
      kernelRidge(
        x,
        { data: new Float64Array(N), shape: [N] },
        {
          scale: S,
          alpha: 1,
          accumulator: 'double' as never,
        },
      ),
    ).toThrow(/accumulator must be/);
  });
});
