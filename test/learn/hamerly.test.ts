import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { type KMeansOptions, type KMeansResult, kmeans } from '../../src/learn/index.js';
import type { FloatArray, NDArray } from '../../src/ndarray.js';
import { backendsUnderTest, DTYPES } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';
import { blobs, referenceLloyd, sqDist } from './reference.js';

type DT = (typeof DTYPES)[number];

function inDtype(x: NDArray<Float64Array>, dtype: DT): NDArray<FloatArray> {
  return { data: dtype === 'float64' ? x.data : Float32Array.from(x.data), shape: x.shape };
}

/** Relative difference allowed between the two algorithms' float results (rounding only). */
const REL = { float64: 1e-12, float32: 1e-5 };

describe.each(backendsUnderTest())('kmeans with Hamerly bounds on %s', (backend) => {
  /** Runs plain Lloyd and Hamerly on the same problem; they must agree (labels exactly). */
  function same(x: NDArray<FloatArray>, K: number, opts: KMeansOptions, dtype: DT): KMeansResult {
    const a = kmeans(x, K, { ...opts, algorithm: 'lloyd', backend });
    const b = kmeans(x, K, { ...opts, algorithm: 'hamerly', backend });
    expect(b.iterations).toBe(a.iterations);
    expect(b.converged).toBe(a.converged);
    expect(Array.from(b.labels.data)).toEqual(Array.from(a.labels.data));
    expect(b.centroids.data).toBeInstanceOf(a.centroids.data.constructor);
    let scale = 0;
    for (const v of a.centroids.data) scale = Math.max(scale, Math.abs(v));
    for (let t = 0; t < a.centroids.data.length; t++)
      expect(Math.abs(b.centroids.data[t]! - a.centroids.data[t]!)).toBeLessThanOrEqual(REL[dtype] * scale);
    expect(Math.abs(b.inertia - a.inertia)).toBeLessThanOrEqual(REL[dtype] * a.inertia);
    return b;
  }

  it.each(DTYPES)('equals plain Lloyd on overlapping blobs and on uniform data (%s)', (dtype) => {
    const centres = Array.from({ length: 8 }, (_, k) => [k % 2, (k >> 1) % 2, k >> 2].map((v) => 3 * v));
    const { x } = blobs(centres, 150, 1, 4);
    // Overlapping blobs from random centroids: many points change cluster, over many iterations.
    for (const tol of [0, 1e-4]) {
      const res = same(inDtype(x, dtype), 8, { init: 'random', seed: 2, tol, maxIter: 60 }, dtype);
      expect(res.iterations).toBeGreaterThan(5);
    }
    const u = { data: uniform(rng(9), 1500 * 2), shape: [1500, 2] };
    same(inDtype(u, dtype), 12, { seed: 3, tol: 0, maxIter: 80 }, dtype);
    // Few iterations (the benchmark's setting), and a restart count.
    same(inDtype(u, dtype), 12, { seed: 5, tol: 0, maxIter: 3, nInit: 3 }, dtype);
  });

  it.each(DTYPES)('equals plain Lloyd with sample weights, zeros included (%s)', (dtype) => {
    const n = 900;
    const r = rng(13);
    const x = { data: uniform(r, n * 3), shape: [n, 3] };
    const weights = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : 0.1 + 5 * r()));
    same(inDtype(x, dtype), 10, { weights, seed: 1, tol: 0, maxIter: 50 }, dtype);
    same(inDtype(x, dtype), 10, { weights, seed: 4, init: 'random', nInit: 2 }, dtype);
  });

  it('follows the dense float64 reference step by step', () => {
    const n = 600;
    const d = 3;
    const x = uniform(rng(17), n * d);
    const init = x.slice(0, 7 * d);
    for (const [tol, maxIter] of [
      [1e-3, 100],
      [0, 4],
      [0, 40],
    ] as const) {
      const ref = referenceLloyd(x, n, d, new Float64Array(n).fill(1), init, maxIter, tol);
      const res = kmeans({ data: x, shape: [n, d] }, 7, {
        init: { data: init, shape: [7, d] },
        tol,
        maxIter,
        algorithm: 'hamerly',
        backend,
      });
      expect(res.iterations).toBe(ref.iterations);
      expect(res.converged).toBe(ref.converged);
      for (let t = 0; t < init.length; t++) expect(res.centroids.data[t]).toBeCloseTo(ref.centroids[t]!, 12);
      // Labels are the nearest returned centroids, inertia their sum.
      let inertia = 0;
      for (let i = 0; i < n; i++) {
        const l = res.labels.data[i]!;
        for (let k = 0; k < 7; k++)
          expect(sqDist(x, i, ref.centroids, l, d)).toBeLessThanOrEqual(
            sqDist(x, i, ref.centroids, k, d) + 1e-12,
          );
        inertia += sqDist(x, i, ref.centroids, l, d);
      }
      expect(res.inertia).toBeCloseTo(inertia, 9);
    }
  });

  it.each(DTYPES)('re-seeds empty clusters as plain Lloyd (%s)', (dtype) => {
    // The example of the plain path: the far third centroid gets the farthest point.
    const line = { data: Float64Array.from([0, 0, 1, 0, 2, 0, 3, 0, 10, 0, 11, 0]), shape: [6, 2] };
    const far = { data: Float64Array.from([0.5, 0, 1.5, 0, 1000, 1000]), shape: [3, 2] };
    const res = same(inDtype(line, dtype), 3, { init: inDtype(far, dtype), maxIter: 1 }, dtype);
    expect(Array.from(res.centroids.data)).toEqual([0.5, 0, 5, 0, 11, 0]);
    same(inDtype(line, dtype), 3, { init: inDtype(far, dtype), maxIter: 20, tol: 0 }, dtype);
    // Blobs with half of the initial centroids far away: several empty clusters at once, later on.
    const { x } = blobs(
      [
        [0, 0],
        [4, 0],
        [0, 4],
        [4, 4],
      ],
      80,
      0.7,
      8,
    );
    const init = new Float64Array(16);
    for (let k = 0; k < 8; k++) {
      init[2 * k] = k < 4 ? x.data[2 * k * 7]! : 100 + k;
      init[2 * k + 1] = k < 4 ? x.data[2 * k * 7 + 1]! : -100 * k;
    }
    same(
      inDtype(x, dtype),
      8,
      { init: inDtype({ data: init, shape: [8, 2] }, dtype), tol: 0, maxIter: 30 },
      dtype,
    );
  });

  it.each(DTYPES)('breaks exact ties as plain Lloyd: lowest centroid index (%s)', (dtype) => {
    // Point 2 is exactly halfway between the centroids 1 and 3, at every iteration.
    const x = { data: Float64Array.from([0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 2, 0]), shape: [6, 2] };
    const init = { data: Float64Array.from([1, 0, 3, 0]), shape: [2, 2] };
    const res = same(inDtype(x, dtype), 2, { init: inDtype(init, dtype), tol: 0, maxIter: 10 }, dtype);
    expect(Array.from(res.labels.data)).toEqual([0, 0, 0, 1, 1, 0]);
    // Duplicated points and duplicated centroids.
    const dup = { data: Float64Array.from([5, 5, 5, 5, 5, 5, 1, 1]), shape: [4, 2] };
    const both = { data: Float64Array.from([5, 5, 5, 5, 0, 0]), shape: [3, 2] };
    same(inDtype(dup, dtype), 3, { init: inDtype(both, dtype), tol: 0, maxIter: 5 }, dtype);
  });
});

describe('kmeans algorithm option', () => {
  it('rejects an unknown algorithm with a LazyTensorError', () => {
    const x = { data: uniform(rng(1), 20), shape: [10, 2] };
    expect(() => kmeans(x, 2, { algorithm: 'elkan' as 'lloyd' })).toThrow(LazyTensorError);
    expect(() => kmeans(x, 2, { algorithm: 'elkan' as 'lloyd' })).toThrow(/'auto', 'lloyd' or 'hamerly'/);
  });
});
