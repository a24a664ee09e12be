import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { points } from '../../src/learn/input.js';

describe('learn input: points', () => {
  it('accepts finite data of both dtypes, -0 and extreme values included', () => {
    for (const T of [Float32Array, Float64Array]) {
      const data = T.from([0, -0, 1e-300, -3.4e38, 3.4e38, 7]);
      const p = points({ data, shape: [3, 2] }, 'x');
      expect([p.n, p.d]).toEqual([3, 2]);
      expect(p.data).toBe(data);
    }
  });

  it('names the first point with a NaN or ±Infinity, wherever it is, in both dtypes', () => {
    const n = 1001;
    const d = 3;
    for (const T of [Float32Array, Float64Array]) {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        for (const k of [0, 1, 1500, n * d - 1]) {
          const data = new T(n * d).fill(0.5);
          data[k] = bad;
          // A second bad value later on must not be the one reported.
          if (k + 4 < n * d) data[k + 4] = Number.NaN;
          const call = () => points({ data, shape: [n, d] }, 'x');
          expect(call).toThrow(LazyTensorError);
          expect(call).toThrow(`x: point ${Math.floor(k / d)} has a non-finite coordinate (${bad})`);
        }
      }
    }
  });
});
