import { describe, expect, it } from 'vitest';
import { setNativeOptions } from '../../src/backends/native/index.js';
import { LazyTensorError } from '../../src/errors.js';
import { kmeans } from '../../src/learn/index.js';
import type { NDArray } from '../../src/ndarray.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';
import { blobs, referenceLloyd, referenceLloydReseed, sqDist } from './reference.js';

function arr(data: Float64Array, d: number): NDArray<Float64Array> {
  return { data, shape: [data.length / d, d] };
}

describe.each(backendsUnderTest())('kmeans on %s', (backend) => {
  it.each([
    'float64',
    'float32',
  ] as const)('stops at a fixed point (%s): labels nearest, centroids means, inertia exact', (dtype) => {
    const n = 400;
    const d = 3;
    const K = 6;
    const x64 = uniform(rng(11), n * d);
    const x = dtype === 'float64' ? x64 : Float32Array.from(x64);
    const xs = Float64Array.from(x);
    const res = kmeans({ data: x, shape: [n, d] }, K, { tol: 0, maxIter: 500, seed: 3, backend });
    expect(res.converged).toBe(true);
    expect(res.centroids.shape).toEqual([K, d]);
    expect(res.centroids.data).toBeInstanceOf(dtype === 'float64' ? Float64Array : Float32Array);
    const c = Float64Array.from(res.centroids.data);
    const rel = dtype === 'float64' ? 1e-12 : 1e-5;
    const sums = new Float64Array(K * d);
    const counts = new Float64Array(K);
    let inertia = 0;
    for (let i = 0; i < n; i++) {
      const l = res.labels.data[i]!;
      let best = Number.POSITIVE_INFINITY;
      for (let k = 0; k < K; k++) best = Math.min(best, sqDist(xs, i, c, k, d));
      expect(sqDist(xs, i, c, l, d)).toBeLessThanOrEqual(best + rel);
      inertia += sqDist(xs, i, c, l, d);
      counts[l]! += 1;
      for (let a = 0; a < d; a++) sums[l * d + a]! += xs[i * d + a];
    }
    for (let k = 0; k < K; k++) {
      expect(counts[k]).toBeGreaterThan(0);
      for (let a = 0; a < d; a++)
        expect(c[k * d + a]).toBeCloseTo(sums[k * d + a]! / counts[k]!, dtype === 'float64' ? 12 : 5);
    }
    expect(Math.abs(res.inertia - inertia) / inertia).toBeLessThan(rel * 10);
  });

  it.each([
    [1, 1],
    [1, 4],
    [2, 4],
    [5, 1],
    [5, 7],
  ])('stops at a weighted fixed point for D = %i, K = %i (labels nearest, centroids weighted means)', (d, K) => {
    const n = 300;
    const r = rng(20 + d * K);
    const x = uniform(r, n * d);
    const w = Float64Array.from({ length: n }, (_, i) => (i % 13 === 0 ? 0 : 0.2 + 2 * r()));
    const res = kmeans(arr(x, d), K, { tol: 0, maxIter: 500, seed: 1, weights: w, backend });
    expect(res.converged).toBe(true);
    const c = res.centroids.data;
    const sums = new Float64Array(K * d);
    const mass = new Float64Array(K);
    let inertia = 0;
    for (let i = 0; i < n; i++) {
      const l = res.labels.data[i]!;
      for (let k = 0; k < K; k++)
        expect(sqDist(x, i, c, l, d)).toBeLessThanOrEqual(sqDist(x, i, c, k, d) * (1 + 1e-12));
      mass[l] += w[i]!;
      for (let a = 0; a < d; a++) sums[l * d + a] += w[i]! * x[i * d + a]!;
      inertia += w[i]! * sqDist(x, i, c, l, d);
    }
    for (let k = 0; k < K; k++) {
      expect(mass[k]).toBeGreaterThan(0);
      for (let a = 0; a < d; a++) expect(c[k * d + a]).toBeCloseTo(sums[k * d + a]! / mass[k]!, 12);
    }
    expect(Math.abs(res.inertia - inertia)).toBeLessThanOrEqual(1e-12 * inertia);
  });

  it('follows a dense Lloyd reference step by step, with the scikit-learn stopping rule', () => {
    const n = 300;
    const d = 2;
    const x = uniform(rng(5), n * d);
    const init = x.slice(0, 5 * d);
    for (const [tol, maxIter] of [
      [1e-2, 100],
      [1e-4, 100],
      [0, 3],
    ] as const) {
      const ref = referenceLloyd(x, n, d, new Float64Array(n).fill(1), init, maxIter, tol);
      const res = kmeans(arr(x, d), 5, { init: arr(init, d), tol, maxIter, backend });
      expect(res.iterations).toBe(ref.iterations);
      expect(res.converged).toBe(ref.converged);
      for (let t = 0; t < init.length; t++) expect(res.centroids.data[t]).toBeCloseTo(ref.centroids[t]!, 12);
    }
  });

  it('recovers planted blobs (labels up to a permutation, centroids near the centres)', () => {
    const centres = [
      [0, 0, 0],
      [10, 0, 0],
      [0, 10, 0],
      [0, 0, 10],
      [10, 10, 10],
    ];
    const { x, truth } = blobs(centres, 60, 0.5, 2);
    const res = kmeans(x, 5, { seed: 1, nInit: 3, backend });
    const map = new Map<number, number>();
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i]!;
      const l = res.labels.data[i]!;
      if (!map.has(t)) map.set(t, l);
      expect(map.get(t)).toBe(l);
    }
    expect(new Set(map.values()).size).toBe(5);
    for (const [t, l] of map)
      for (let a = 0; a < 3; a++)
        expect(Math.abs(res.centroids.data[l * 3 + a]! - centres[t]![a]!)).toBeLessThan(0.2);
  });

  it('integer sample weights equal duplicated points', () => {
    const n = 120;
    const d = 2;
    const r = rng(8);
    const x = uniform(r, n * d);
    const w = Float64Array.from({ length: n }, () => 1 + Math.floor(3 * r()));
    const dup: number[] = [];
    for (let i = 0; i < n; i++) for (let t = 0; t < w[i]!; t++) dup.push(x[i * d]!, x[i * d + 1]!);
    const init = arr(x.slice(0, 4 * d), d);
    const a = kmeans(arr(x, d), 4, { init, weights: w, tol: 0, backend });
    const b = kmeans(arr(Float64Array.from(dup), d), 4, { init, tol: 0, backend });
    expect(a.iterations).toBe(b.iterations);
    expect(a.inertia).toBeCloseTo(b.inertia, 10);
    for (let t = 0; t < 4 * d; t++) expect(a.centroids.data[t]).toBeCloseTo(b.centroids.data[t]!, 12);
  });

  it('is reproducible for a seed; more restarts never give a larger inertia', () => {
    const x = arr(uniform(rng(21), 500 * 2), 2);
    for (const init of ['kmeans++', 'random'] as const) {
      const a = kmeans(x, 8, { seed: 7, init, backend });
      const b = kmeans(x, 8, { seed: 7, init, backend });
      expect(Array.from(b.centroids.data)).toEqual(Array.from(a.centroids.data));
      expect(Array.from(b.labels.data)).toEqual(Array.from(a.labels.data));
      expect(kmeans(x, 8, { seed: 7, init, nInit: 4, backend }).inertia).toBeLessThanOrEqual(a.inertia);
    }
  });

  it('a restart that finds the same clustering again does not replace the best (as scikit-learn)', () => {
    // Blobs where later restarts find the first one's clustering with an inertia lower by rounding
    // only: the first restart's result stands (its labels and iteration count), whatever rounding.
    for (const seed of [3, 9, 21, 29, 33, 34]) {
      const { x } = blobs(
        [
          [0, 0, 0, 0],
          [3, 1, 0, 2],
          [1, 4, 2, 0],
        ],
        50,
        0.6,
        seed,
      );
      const one = kmeans(x, 3, { nInit: 1, seed: 0, backend });
      const six = kmeans(x, 3, { nInit: 6, seed: 0, backend });
      expect(six.iterations).toBe(one.iterations);
      expect(Array.from(six.labels.data)).toEqual(Array.from(one.labels.data));
      expect(six.inertia).toBe(one.inertia);
    }
  });

  it('each fit and each restart keeps its own labels: fits in a row and the best of restarts are consistent', () => {
    const n = 500;
    const d = 3;
    const xs = uniform(rng(31), n * d);
    const x = arr(xs, d);
    /** Labels are the nearest returned centroids (lowest index on ties) and inertia their sum. */
    const consistent = (res: ReturnType<typeof kmeans>) => {
      const c = Float64Array.from(res.centroids.data);
      let inertia = 0;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let k = 1; k < 6; k++) if (sqDist(xs, i, c, k, d) < sqDist(xs, i, c, best, d)) best = k;
        expect(res.labels.data[i]).toBe(best);
        inertia += sqDist(xs, i, c, best, d);
      }
      expect(res.inertia).toBeCloseTo(inertia, 10);
    };
    const a = kmeans(x, 6, { seed: 2, maxIter: 4, backend });
    const labelsA = Array.from(a.labels.data);
    const b = kmeans(x, 6, { seed: 5, maxIter: 4, backend });
    // The second fit (other centroids) left the first one's result alone.
    expect(Array.from(a.labels.data)).toEqual(labelsA);
    expect(Array.from(b.labels.data)).not.toEqual(labelsA);
    consistent(a);
    consistent(b);
    // Restarts: the best one's labels are not overwritten by the restarts after it.
    for (let seed = 0; seed < 4; seed++) consistent(kmeans(x, 6, { seed, nInit: 5, maxIter: 3, backend }));
  });

  it('k-means++ puts a centroid on every distinct point when K = N, and seeds far groups apart', () => {
    const x = arr(uniform(rng(4), 12 * 3), 3);
    const all = kmeans(x, 12, { maxIter: 1, backend });
    expect(all.inertia).toBe(0);
    const { x: two } = blobs(
      [
        [0, 0],
        [1000, 0],
      ],
      30,
      1,
      6,
    );
    for (let seed = 0; seed < 5; seed++) {
      const res = kmeans(two, 2, { seed, maxIter: 1, backend });
      const xs = [res.centroids.data[0]!, res.centroids.data[2]!].sort((p, q) => p - q);
      expect(xs[0]).toBeLessThan(500);
      expect(xs[1]).toBeGreaterThan(500);
    }
  });

  it('re-seeds an empty cluster from the farthest point, deterministically', () => {
    // Points on a line; the third initial centroid is far away and attracts nobody.
    const x = arr(Float64Array.from([0, 0, 1, 0, 2, 0, 3, 0, 10, 0, 11, 0]), 2);
    const init = arr(Float64Array.from([0.5, 0, 1.5, 0, 1000, 1000]), 2);
    const res = kmeans(x, 3, { init, maxIter: 1, backend });
    // Iteration 1: clusters {0, 1}, {2, 3, 10, 11}, {} -> the farthest point from its centroid
    // (11, at distance 9.5 from 1.5) moves to the empty cluster.
    expect(Array.from(res.centroids.data)).toEqual([0.5, 0, 5, 0, 11, 0]);
    expect(new Set(res.labels.data).size).toBe(3);
    const again = kmeans(x, 3, { init, maxIter: 1, backend });
    expect(Array.from(again.centroids.data)).toEqual(Array.from(res.centroids.data));
  });
});

/**
 * Three overlapping groups in the plane, six far points and 8 initial centroids spread over the
 * box: seeds whose dense reference empties clusters after the first iteration too (found by a
 * search). The re-seeded clusters take far points, which then keep them while few others move:
 * the cluster sums follow the moves across the re-seeding.
 */
function lateEmptying(seed: number) {
  const r = rng(seed);
  const n = 1200;
  const d = 2;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const b = i % 3;
    x[i * d] = b * 3 + (r() - 0.5) * 2;
    x[i * d + 1] = (b === 1 ? 2 : 0) + (r() - 0.5) * 2;
  }
  for (let o = 0; o < 6; o++) {
    const i = n - 1 - 7 * o;
    x[i * d] = 3 + 60 * Math.cos(o);
    x[i * d + 1] = 1 + 60 * Math.sin(o);
  }
  const init = Float64Array.from({ length: 8 * d }, () => r() * 8 - 1);
  return { x, n, d, init };
}

describe.each(backendsUnderTest())('kmeans re-seeding later in a run on %s', (backend) => {
  it.each([
    2, 95, 155, 297, 364,
  ])('follows the dense reference through late empty clusters (seed %i)', (seed) => {
    const { x, n, d, init } = lateEmptying(seed);
    for (const weighted of [false, true]) {
      const wr = rng(seed + 1);
      const w = weighted
        ? Float64Array.from({ length: n }, (_, i) => (i % 11 === 5 ? 0 : 0.5 + wr()))
        : new Float64Array(n).fill(1);
      // Runs all 30 iterations; kmeans stops at a fixed point (tol 0), where nothing changes.
      const ref = referenceLloydReseed(x, n, d, w, init, 30);
      if (!weighted) expect(ref.reseeds.some((t) => t >= 1)).toBe(true);
      for (const algorithm of ['lloyd', 'hamerly'] as const) {
        const res = kmeans(arr(x, d), 8, {
          init: arr(init, d),
          tol: 0,
          maxIter: 30,
          weights: weighted ? w : undefined,
          algorithm,
          backend,
        });
        expect(Array.from(res.labels.data)).toEqual(Array.from(ref.labels));
        for (let t = 0; t < init.length; t++)
          expect(Math.abs(res.centroids.data[t]! - ref.centroids[t]!)).toBeLessThanOrEqual(1e-12);
      }
    }
  });
});

describe('kmeans input checks', () => {
  const x = arr(uniform(rng(1), 10 * 2), 2);
  it.each([
    ['K > N', () => kmeans(x, 11)],
    ['K = 0', () => kmeans(x, 0)],
    ['K not an integer', () => kmeans(x, 2.5)],
    ['NaN data', () => kmeans(arr(Float64Array.from([0, 1, Number.NaN, 2]), 2), 1)],
    ['wrong number of weights', () => kmeans(x, 2, { weights: new Float64Array(9) })],
    ['negative weight', () => kmeans(x, 2, { weights: new Float64Array(10).fill(-1) })],
    ['zero total weight', () => kmeans(x, 2, { weights: new Float64Array(10) })],
    ['init of the wrong shape', () => kmeans(x, 2, { init: arr(new Float64Array(6), 2) })],
    ['unknown init', () => kmeans(x, 2, { init: 'best' as 'random' })],
    ['maxIter = 0', () => kmeans(x, 2, { maxIter: 0 })],
    ['negative tol', () => kmeans(x, 2, { tol: -1 })],
    ['1-D data', () => kmeans({ data: new Float64Array(4), shape: [4] }, 2)],
  ])('%s -> LazyTensorError', (_, f) => {
    expect(f).toThrow(LazyTensorError);
  });
});

describe('kmeans gives the same bits on every backend and thread count', () => {
  it.each([
    ['float64', false],
    ['float64', true],
    ['float32', true],
  ] as const)(
    'Lloyd over blocks of points (N = 20000 > 8192), %s, weighted %s: labels and centroids identical',
    (dtype, weighted) => {
      const n = 20000;
      const d = 3;
      const K = 12;
      const r = rng(weighted ? 71 : 70);
      // Full mantissas (rounding depends on the summation order).
      const x64 = Float64Array.from(uniform(r, n * d), (v) => Math.exp(4 * v) - 9);
      const x = dtype === 'float64' ? x64 : Float32Array.from(x64);
      const w = weighted
        ? Float64Array.from({ length: n }, (_, i) => (i % 17 === 0 ? 0 : 0.3 + r()))
        : undefined;
      const init = { data: Float64Array.from(x.subarray(0, K * d)), shape: [K, d] };
      const runs: { name: string; labels: number[]; c: number[] }[] = [];
      for (const backend of backendsUnderTest()) {
        for (const threads of backend === 'native' ? [1, 2] : [undefined]) {
          if (threads) setNativeOptions({ threads });
          const res = kmeans({ data: x, shape: [n, d] }, K, {
            init,
            tol: 0,
            maxIter: 8,
            weights: w,
            backend,
          });
          runs.push({
            name: `${backend}${threads ?? ''}`,
            labels: Array.from(res.labels.data),
            c: Array.from(res.centroids.data),
          });
        }
      }
      setNativeOptions({ threads: undefined });
      for (const run of runs.slice(1)) {
        expect(run.labels, run.name).toEqual(runs[0]!.labels);
        expect(run.c, run.name).toEqual(runs[0]!.c);
      }
    },
    60_000,
  );
});

describe.each(backendsUnderTest())('kmeans at the ends of the float range on %s', (backend) => {
  const ALGORITHMS = ['lloyd', 'hamerly'] as const;
  const base = [0, 1, 2, 10, 11, 12];
  /** Two clusters {0, 1, 2}·s and {10, 11, 12}·s: labels split 3 + 3, centroids s·1 and s·11. */
  function expectTwoClusters(res: ReturnType<typeof kmeans>, s: number): void {
    const l = Array.from(res.labels.data);
    expect(l.slice(0, 3).every((v) => v === l[0])).toBe(true);
    expect(l.slice(3).every((v) => v === l[3])).toBe(true);
    expect(l[0]).not.toBe(l[3]);
    expect(res.centroids.data[l[0]!]).toBe(s);
    expect(res.centroids.data[l[3]!]).toBe(11 * s);
  }

  it.each(
    ALGORITHMS,
  )('tiny coordinates whose squared distances underflow (%s): the clusters of the same data at scale 1', (algorithm) => {
    // float64 at 2^-560 (squares below 2^-1074) and float32 at 2^-100 (squares below 2^-149).
    const s64 = 2 ** -560;
    const r64 = kmeans({ data: Float64Array.from(base, (v) => v * s64), shape: [6, 1] }, 2, {
      algorithm,
      backend,
    });
    expectTwoClusters(r64, s64);
    expect(r64.inertia).toBe(0); // 4·s² underflows float64 itself
    const s32 = 2 ** -100;
    const r32 = kmeans({ data: Float32Array.from(base, (v) => v * s32), shape: [6, 1] }, 2, {
      algorithm,
      backend,
    });
    expectTwoClusters(r32, s32);
    expect(r32.centroids.data).toBeInstanceOf(Float32Array);
    expect(r32.inertia).toBe(4 * s32 * s32);
    // Given centroids are scaled with the data.
    const init = { data: Float32Array.from([0, 12 * s32]), shape: [2, 1] };
    const rInit = kmeans({ data: Float32Array.from(base, (v) => v * s32), shape: [6, 1] }, 2, {
      init,
      algorithm,
      backend,
    });
    expect(Array.from(rInit.labels.data)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(rInit.inertia).toBe(4 * s32 * s32);
  });

  it.each(
    ALGORITHMS,
  )('squared distances to the centroids that overflow the dtype (%s): a LazyTensorError', (algorithm) => {
    // Each point's distance to every centroid overflows: the labels would be ties at Infinity.
    const x32 = { data: Float32Array.from([0, 4e19, 1e21, 1.04e21]), shape: [4, 1] };
    expect(() => kmeans(x32, 2, { algorithm, backend })).toThrow(/overflow the float32 range/);
    const x64 = { data: Float64Array.from([0, 4e154, 1e160, 1e160 + 4e154]), shape: [4, 1] };
    expect(() => kmeans(x64, 2, { algorithm, backend })).toThrow(/overflow the float64 range/);
    // Far-apart clusters whose own spreads are in range stay fine (infinite cross distances).
    const far = { data: Float32Array.from([0, 0, 1, 1, 1e30, 1e30, 1e30, 1e30]), shape: [4, 2] };
    const res = kmeans(far, 2, { algorithm, backend });
    expect(res.inertia).toBe(1);
  });

  it.each(ALGORITHMS)('weighted sums that overflow float64 (%s): a LazyTensorError, not NaN', (algorithm) => {
    const x = { data: Float64Array.from([1e10, 2e10]), shape: [2, 1] };
    expect(() => kmeans(x, 1, { algorithm, backend, weights: Float64Array.from([1e300, 1e300]) })).toThrow(
      /overflow/,
    );
    const big = { data: Float64Array.from([1.5e308, 1.6e308, 1.7e308]), shape: [3, 1] };
    expect(() => kmeans(big, 1, { algorithm, backend })).toThrow(/overflow/);
  });
});

describe('kmeans weights at the limits', () => {
  const x = { data: Float64Array.from([1, 2]), shape: [2, 1] };
  it('weights whose sum overflows (was: a wrong centroid or NaN)', () => {
    expect(() => kmeans(x, 1, { weights: Float64Array.from([1e308, 1e308]) })).toThrow(/sum to Infinity/);
  });
  it('BigInt weights (was: a TypeError)', () => {
    const w = BigInt64Array.from([1n, 1n]) as unknown as Float64Array;
    expect(() => kmeans(x, 1, { weights: w })).toThrow(LazyTensorError);
  });
});
