import { describe, expect, it } from 'vitest';
import { clusterSums, sumsScratch } from '../../src/learn/clusterSums.js';
import type { FloatArray } from '../../src/ndarray.js';
import { rng, uniform } from '../helpers/rng.js';

/**
 * Dense reference in the engine's documented order: blocks of 8192 points (K small); within a
 * block point i into table i mod 4, then (t0 + t1) + (t2 + t3); blocks added in order.
 */
function reference(data: FloatArray, d: number, w: Float64Array | undefined, labels: Int32Array, K: number) {
  const r = d + 1;
  const out = new Float64Array(K * r);
  for (let s = 0; s < labels.length; s += 8192) {
    const t = [0, 1, 2, 3].map(() => new Float64Array(K * r));
    for (let i = s; i < Math.min(labels.length, s + 8192); i++) {
      const row = t[i % 4]!;
      const k = labels[i]!;
      const wi = w ? w[i]! : 1;
      for (let c = 0; c < d; c++) row[k * r + c] += wi * data[i * d + c]!;
      row[k * r + d] += wi;
    }
    for (let q = 0; q < K * r; q++) out[q] += t[0]![q]! + t[1]![q]! + (t[2]![q]! + t[3]![q]!);
  }
  return out;
}

/**
 * Plain sequential sums (another order), the true sums up to float64 rounding, and the sums of
 * the absolute values (which bound that rounding).
 */
function plainSums(data: FloatArray, d: number, w: Float64Array | undefined, labels: Int32Array, K: number) {
  const out = new Float64Array(K * (d + 1));
  const abs = new Float64Array(K * (d + 1));
  for (let i = 0; i < labels.length; i++) {
    const wi = w ? w[i]! : 1;
    const b = labels[i]! * (d + 1);
    for (let c = 0; c < d; c++) {
      out[b + c] += wi * data[i * d + c]!;
      abs[b + c] += Math.abs(wi * data[i * d + c]!);
    }
    out[b + d] += wi;
    abs[b + d] += wi;
  }
  return { out, abs };
}

function problem(n: number, d: number, K: number, seed: number) {
  const r = rng(seed);
  // Full mantissas (mulberry32's values are multiples of 2^-32: their sums would all be exact,
  // whatever the order).
  const data = Float64Array.from(uniform(r, n * d), (v) => Math.exp(3 * v) - 7);
  // Every label but K - 1 (an empty cluster when K > 1).
  const labels = Int32Array.from({ length: n }, () => Math.floor(r() * Math.max(1, K - 1)));
  const w = Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : 0.25 + 3 * r()));
  return { data, labels, w };
}

function sums(data: FloatArray, d: number, w: Float64Array | undefined, labels: Int32Array, K: number) {
  const acc = new Float64Array(K * (d + 1)).fill(Number.NaN);
  // Scratch left dirty by a previous call: it must be cleared.
  const t = sumsScratch(K, d).fill(7);
  clusterSums(data, d, w, labels, acc, t);
  return acc;
}

describe('clusterSums', () => {
  const cases: [number, number, number][] = [];
  for (const d of [1, 2, 3, 5])
    for (const K of [1, 4, 9])
      for (const n of [1, 2, 3, 4, 5, 7, 8, 61, 63, 1003, 20001]) cases.push([n, d, K]);

  it.each(
    cases,
  )('n = %i, D = %i, K = %i: the documented order, with and without weights, both dtypes', (n, d, K) => {
    const { data, labels, w } = problem(n, d, K, 100 * n + 10 * d + K);
    // float32 values spread over 2^40 (else their sums in float64 would be exact in any order).
    const f32 = Float32Array.from(data, (v, q) => v * 2 ** (q % 41));
    for (const x of [data, f32]) {
      for (const weights of [undefined, w]) {
        const got = sums(x, d, weights, labels, K);
        expect(Array.from(got)).toEqual(Array.from(reference(x, d, weights, labels, K)));
        const { out, abs } = plainSums(x, d, weights, labels, K);
        for (let q = 0; q < got.length; q++)
          expect(Math.abs(got[q]! - out[q]!)).toBeLessThanOrEqual(2 * n * 2 ** -52 * abs[q]!);
      }
      // An empty cluster has exactly zero sums and mass.
      if (K > 1)
        for (let c = 0; c <= d; c++) expect(sums(x, d, undefined, labels, K)[(K - 1) * (d + 1) + c]).toBe(0);
    }
  });

  it('gives exactly the sums of weights 1 without weights (the fast D = 3 path and the general one agree)', () => {
    for (const d of [1, 3, 4]) {
      const { data, labels } = problem(1001, d, 7, 5 + d);
      const ones = new Float64Array(labels.length).fill(1);
      for (const x of [data, Float32Array.from(data)])
        expect(Array.from(sums(x, d, undefined, labels, 7))).toEqual(Array.from(sums(x, d, ones, labels, 7)));
    }
  });

  it('sums float32 data in float64 (no rounding to float32 on the way)', () => {
    // 2^24 + 1 is not a float32; ones added to 2^24 must all count.
    const n = 9;
    const data = new Float32Array(n * 3).fill(1);
    data[0] = 2 ** 24;
    const labels = new Int32Array(n);
    const acc = sums(data, 3, undefined, labels, 1);
    expect(acc[0]).toBe(2 ** 24 + n - 1);
    expect(acc[3]).toBe(n);
  });
});
