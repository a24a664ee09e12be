import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { reduce, Vi, Vj } from '../../src/lazy/index.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

/**
 * `reduce({ into })` writes the results into the caller's arrays (iterative callers reuse them):
 * the same values as fresh arrays, every entry overwritten, and wrong arrays refused.
 */
describe.each(backendsUnderTest())('reduce into given arrays on %s', (backend) => {
  const n = 300;
  const m = 7;
  const x = uniform(rng(3), n * 2);
  const y = uniform(rng(4), m * 2);
  const F = Vi({ data: x, shape: [n, 2] }).sqdist(Vj({ data: y, shape: [m, 2] }));
  const req = { formula: F.formula, kind: 'Min_ArgMin', axis: 'j', data: F.vars, opts: { backend } } as const;

  it('fills the given arrays with what fresh ones get, and returns them', () => {
    const fresh = reduce(req);
    const into = { values: new Float64Array(n).fill(-7), indices: new Int32Array(n).fill(-7) };
    for (let rep = 0; rep < 2; rep++) {
      const res = reduce({ ...req, into });
      expect(res.values!.data).toBe(into.values);
      expect(res.indices!.data).toBe(into.indices);
      expect(res.values!.shape).toEqual([n, 1]);
      expect(Array.from(into.values)).toEqual(Array.from(fresh.values!.data));
      expect(Array.from(into.indices)).toEqual(Array.from(fresh.indices!.data));
      // Dense reference: the nearest y of every x.
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let j = 1; j < m; j++) {
          const dj = (x[2 * i]! - y[2 * j]!) ** 2 + (x[2 * i + 1]! - y[2 * j + 1]!) ** 2;
          const db = (x[2 * i]! - y[2 * best]!) ** 2 + (x[2 * i + 1]! - y[2 * best + 1]!) ** 2;
          if (dj < db) best = j;
        }
        expect(into.indices[i]).toBe(best);
      }
    }
  });

  it('refuses arrays of another type or length', () => {
    const bad = [
      { values: new Float32Array(n), indices: new Int32Array(n) },
      { values: new Float64Array(n - 1), indices: new Int32Array(n) },
      { values: new Float64Array(n), indices: new Float64Array(n) as unknown as Int32Array },
    ];
    for (const into of bad) {
      expect(() => reduce({ ...req, into })).toThrow(LazyTensorError);
      expect(() => reduce({ ...req, into })).toThrow(
        /into\.(values|indices) must be a (Float64Array|Int32Array) of 300 values/,
      );
    }
  });
});
