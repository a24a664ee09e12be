import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { knn } from '../../src/learn/index.js';
import { rng, uniform } from '../helpers/rng.js';

describe('knn', () => {
  it('matches a brute-force sort of squared distances', () => {
    const r = rng(3);
    const N = 40;
    const M = 60;
    const D = 4;
    const Q = uniform(r, N * D);
    const R = uniform(r, M * D);
    const res = knn({ data: Q, shape: [N, D] }, { data: R, shape: [M, D] }, 5);
    expect(res.indices.shape).toEqual([N, 5]);
    for (let i = 0; i < N; i++) {
      const d = Array.from({ length: M }, (_, j) => {
        let s = 0;
        for (let k = 0; k < D; k++) s += (Q[i * D + k]! - R[j * D + k]!) ** 2;
        return [s, j] as const;
      }).sort((a, b) => a[0] - b[0]);
      expect(Array.from(res.indices.data.subarray(i * 5, i * 5 + 5))).toEqual(d.slice(0, 5).map((x) => x[1]));
      for (let k = 0; k < 5; k++) expect(res.sqDistances.data[i * 5 + k]).toBeCloseTo(d[k]![0], 12);
    }
  });
});

describe('knn rejects bad input with a LazyTensorError', () => {
  it('non-finite queries or references (was: index -1 and an infinite distance, silently)', () => {
    expect(() => knn([[Number.NaN]], [[1], [2]], 1)).toThrow(LazyTensorError);
    expect(() => knn([[0]], [[1], [Number.POSITIVE_INFINITY]], 1)).toThrow(/non-finite/);
  });
  it('queries of another dimension than the references (was: an answer, silently)', () => {
    expect(() => knn([[0, 1]], [[1], [2]], 1)).toThrow(/dimension 1, got dimension 2/);
  });
  it('K larger than the number of references, named as such', () => {
    expect(() => knn([[0]], [[1], [2]], 3)).toThrow(/at most the number of references, 2/);
  });
  it('squared distances that overflow the dtype (the order of infinite ties is arbitrary)', () => {
    expect(() => knn([[0]], [[1e200], [-2e200]], 2)).toThrow(/overflow/);
    const f32 = (v: number[]) => ({ data: Float32Array.from(v), shape: [v.length, 1] });
    expect(() => knn(f32([0]), f32([3e19, -2e19]), 1)).toThrow(/overflow the float32 range/);
    // Far apart but each query's neighbours within range: fine.
    const res = knn(f32([0, 1e30]), f32([1, 1e30]), 1);
    expect(Array.from(res.indices.data)).toEqual([0, 1]);
  });
});

describe('knn on tiny coordinates (squared distances below the dtype range)', () => {
  const u = [0.3, 0.1, 0.7, 0.45, 0.9, 0.2];
  it.each([
    ['float32', (v: number[]) => Float32Array.from(v), 2 ** -100],
    ['float64', (v: number[]) => Float64Array.from(v), 2 ** -570],
  ] as const)('%s: the neighbours of the same points at scale 1 (was: indices 0, 1, 2 — all ties at 0)', (_, T, s) => {
    const ref = knn({ data: T([0.42]), shape: [1, 1] }, { data: T(u), shape: [6, 1] }, 3);
    expect(Array.from(ref.indices.data)).toEqual([3, 0, 5]);
    const res = knn(
      { data: T([0.42 * s]), shape: [1, 1] },
      { data: T(u.map((v) => v * s)), shape: [6, 1] },
      3,
    );
    expect(Array.from(res.indices.data)).toEqual([3, 0, 5]);
    // Distances in the caller's scale: s² times those at scale 1 (0 where that underflows the dtype).
    for (let k = 0; k < 3; k++) {
      const want = T([ref.sqDistances.data[k]! * s * s])[0]!;
      expect(res.sqDistances.data[k]).toBe(want);
    }
  });
});
