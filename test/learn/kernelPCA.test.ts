import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { kernelPCA } from '../../src/learn/index.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

const N = 60;
const X = uniform(rng(9), N * 3);
const x = { data: X, shape: [N, 3] };

/** The centred Cauchy kernel matrix H K H, dense float64. */
function centredKernel(s: number): Float64Array {
  const K = new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      let d2 = 0;
      for (let k = 0; k < 3; k++) d2 += (X[i * 3 + k]! - X[j * 3 + k]!) ** 2;
      K[i * N + j] = 1 / (1 + d2 / (s * s));
    }
  const row = new Float64Array(N);
  let all = 0;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) row[i]! += K[i * N + j]! / N;
    all += row[i]! / N;
  }
  return K.map((v, t) => v - row[Math.floor(t / N)]! - row[t % N]! + all);
}

describe.each(backendsUnderTest())('kernelPCA on %s', (backend) => {
  it('components are eigenvectors of the dense centred kernel, scaled by √λ; λ sums below the trace', () => {
    const C = centredKernel(0.5);
    const { values, embedding } = kernelPCA(x, 3, { kernel: 'cauchy', scale: 0.5, backend });
    expect(embedding.shape).toEqual([N, 3]);
    let trace = 0;
    for (let i = 0; i < N; i++) trace += C[i * N + i]!;
    expect(values[0]! + values[1]! + values[2]!).toBeLessThanOrEqual(trace + 1e-9);
    for (let c = 0; c < 3; c++) {
      if (c > 0) expect(values[c]!).toBeLessThanOrEqual(values[c - 1]!);
      let sq = 0;
      let mean = 0;
      for (let i = 0; i < N; i++) {
        const e = embedding.data[i * 3 + c]!;
        sq += e * e;
        mean += e / N;
        let s = 0;
        for (let j = 0; j < N; j++) s += C[i * N + j]! * embedding.data[j * 3 + c]!;
        expect(s).toBeCloseTo(values[c]! * e, 7);
      }
      expect(sq).toBeCloseTo(values[c]!, 7);
      expect(mean).toBeCloseTo(0, 10);
    }
    // The leading value is the largest Rayleigh quotient: no test vector beats it.
    for (let t = 0; t < 5; t++) {
      const v = uniform(rng(20 + t), N, -1, 1);
      let num = 0;
      let den = 0;
      for (let i = 0; i < N; i++) {
        den += v[i]! ** 2;
        for (let j = 0; j < N; j++) num += v[i]! * C[i * N + j]! * v[j]!;
      }
      expect(num / den).toBeLessThanOrEqual(values[0]! + 1e-9);
    }
  });
});

describe('kernelPCA: bad input', () => {
  it('reports NaN data, nComponents out of range and a missing scale', () => {
    const bad = Float64Array.from(X);
    bad[0] = Number.NaN;
    expect(() => kernelPCA({ data: bad, shape: [N, 3] }, 2, { scale: 1 })).toThrow(LazyTensorError);
    expect(() => kernelPCA({ data: bad, shape: [N, 3] }, 2, { scale: 1 })).toThrow(
      /point 0 has a non-finite/,
    );
    expect(() => kernelPCA(x, 0, { scale: 1 })).toThrow(/nComponents must be an integer in \[1, 60\], got 0/);
    expect(() => kernelPCA(x, N + 1, { scale: 1 })).toThrow(/nComponents must be an integer in \[1, 60\]/);
    expect(() => kernelPCA(x, 2, {} as never)).toThrow(/scale must be a finite number > 0/);
  });
});

describe('kernelPCA option messages name kernelPCA', () => {
  it.each([
    ['tol', 0],
    ['tol', Number.NaN],
    ['tol', 1],
    ['seed', 1.5],
  ] as const)('%s = %s (was: a message about eigsh)', (key, v) => {
    expect(() => kernelPCA([[0], [1], [2]], 1, { scale: 1, [key]: v })).toThrow(
      new RegExp(`^kernelPCA: ${key} must be`),
    );
  });
});
