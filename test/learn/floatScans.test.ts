import { describe, expect, it } from 'vitest';
import { firstNonFinite, weightedTotal } from '../../src/learn/floatScans.js';
import { rng, uniform } from '../helpers/rng.js';

describe('floatScans', () => {
  it('finds the first non-finite value at every position, in both dtypes', () => {
    for (const n of [1, 2, 3, 4, 5, 9, 30]) {
      for (const make of [(k: number) => new Float64Array(k), (k: number) => new Float32Array(k)]) {
        const a = make(n).fill(1.5);
        expect(firstNonFinite(a)).toBe(-1);
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          for (let at = 0; at < n; at++) {
            a[at] = bad;
            if (at + 2 < n) a[at + 2] = Number.NaN;
            expect(firstNonFinite(a)).toBe(at);
            a.fill(1.5);
          }
        }
      }
    }
  });

  it('takes huge finite values as finite (v · 0 is 0)', () => {
    expect(firstNonFinite(Float64Array.of(Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, 0, -0))).toBe(-1);
    expect(firstNonFinite(Float32Array.of(3.4e38, -3.4e38, 1e-45))).toBe(-1);
  });

  it('totals in index order, weighted or not, in both dtypes', () => {
    const r = rng(3);
    const v = Float64Array.from(uniform(r, 1001), (x) => Math.exp(5 * x));
    const w = Float64Array.from(uniform(r, 1001), (x) => Math.sqrt(x));
    for (const a of [v, Float32Array.from(v)]) {
      let s = 0;
      let sw = 0;
      for (let i = 0; i < a.length; i++) {
        s += a[i]!;
        sw += w[i]! * a[i]!;
      }
      expect(weightedTotal(a, undefined)).toBe(s);
      expect(weightedTotal(a, w)).toBe(sw);
    }
  });
});
