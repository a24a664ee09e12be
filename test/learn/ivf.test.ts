import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { ivfIndex, knn } from '../../src/learn/index.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';
import { sqDist } from './reference.js';

function recall(found: Int32Array, exact: Int32Array, K: number): number {
  let hits = 0;
  for (let i = 0; i < exact.length / K; i++) {
    const truth = new Set(exact.subarray(i * K, (i + 1) * K));
    for (let k = 0; k < K; k++) if (truth.has(found[i * K + k]!)) hits++;
  }
  return hits / exact.length;
}

describe.each(backendsUnderTest())('ivfIndex on %s', (backend) => {
  const n = 3000;
  const d = 3;
  const refs = { data: uniform(rng(3), n * d), shape: [n, d] };
  const queries = { data: uniform(rng(4), 200 * d), shape: [200, d] };

  it('is exact at nprobe = nlist (against a brute-force sort)', () => {
    const index = ivfIndex(refs, { nlist: 30, backend });
    const res = index.search(queries, 5, { nprobe: 30 });
    expect(res.indices.shape).toEqual([200, 5]);
    for (let i = 0; i < 200; i++) {
      const order = Array.from(
        { length: n },
        (_, j) => [sqDist(queries.data, i, refs.data, j, d), j] as const,
      )
        .sort((a, b) => a[0] - b[0])
        .slice(0, 5);
      expect(Array.from(res.indices.data.subarray(i * 5, i * 5 + 5))).toEqual(order.map((o) => o[1]));
      order.forEach(([s], k) => expect(res.sqDistances.data[i * 5 + k]).toBeCloseTo(s, 12));
    }
  });

  it('recall grows with nprobe and is high at a tenth of the clusters', () => {
    const index = ivfIndex(refs, { nlist: 50, seed: 1, backend });
    const exact = knn(queries, refs, 10, { backend }).indices.data;
    const rec = [1, 3, 5, 10, 50].map((nprobe) =>
      recall(index.search(queries, 10, { nprobe }).indices.data, exact, 10),
    );
    for (let t = 1; t < rec.length; t++) expect(rec[t]).toBeGreaterThanOrEqual(rec[t - 1]!);
    expect(rec[0]).toBeLessThan(1);
    expect(rec[3]).toBeGreaterThan(0.9);
    expect(rec[4]).toBe(1);
  });

  it('pads with -1 and Infinity when the visited clusters hold fewer than K points', () => {
    const small = { data: Float64Array.from([0, 1, 2, 100, 101, 102]), shape: [6, 1] };
    const index = ivfIndex(small, { nlist: 2, backend });
    const res = index.search({ data: Float64Array.from([0.4]), shape: [1, 1] }, 4, { nprobe: 1 });
    expect(Array.from(res.indices.data)).toEqual([0, 1, 2, -1]);
    expect(res.sqDistances.data[3]).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('ivfIndex input checks', () => {
  const refs = { data: uniform(rng(1), 20 * 2), shape: [20, 2] };
  const index = ivfIndex(refs, { nlist: 4 });
  const q = { data: uniform(rng(2), 3 * 2), shape: [3, 2] };
  it.each([
    ['nlist > N', () => ivfIndex(refs, { nlist: 21 })],
    ['nlist = 0', () => ivfIndex(refs, { nlist: 0 })],
    [
      'NaN reference',
      () => ivfIndex({ data: Float64Array.from([Number.NaN, 0]), shape: [1, 2] }, { nlist: 1 }),
    ],
    ['k > n', () => index.search(q, 21, { nprobe: 4 })],
    ['K = 0', () => index.search(q, 0, { nprobe: 4 })],
    ['nprobe > nlist', () => index.search(q, 2, { nprobe: 5 })],
    ['nprobe = 0', () => index.search(q, 2, { nprobe: 0 })],
    [
      'queries of another dimension',
      () => index.search({ data: new Float64Array(3), shape: [1, 3] }, 2, { nprobe: 1 }),
    ],
  ])('%s -> LazyTensorError', (_, f) => {
    expect(f).toThrow(LazyTensorError);
  });
});

describe('ivfIndex on tiny coordinates', () => {
  it('nprobe = nlist finds the exact neighbours, as at scale 1 (was: ties at distance 0)', () => {
    const s = 2 ** -100;
    const u = [0.3, 0.1, 0.7, 0.45, 0.9, 0.2];
    const idx = ivfIndex({ data: Float32Array.from(u, (v) => v * s), shape: [6, 1] }, { nlist: 2 });
    const res = idx.search({ data: Float32Array.from([0.42 * s]), shape: [1, 1] }, 3, { nprobe: 2 });
    expect(Array.from(res.indices.data)).toEqual([3, 0, 5]);
    const exact = knn(
      { data: Float32Array.from([0.42 * s]), shape: [1, 1] },
      { data: Float32Array.from(u, (v) => v * s), shape: [6, 1] },
      3,
    );
    expect(Array.from(res.sqDistances.data)).toEqual(Array.from(exact.sqDistances.data));
    expect(idx.centroids.data.every((v) => Math.abs(v) < 2 * s)).toBe(true);
  });
});

describe('ivfIndex option messages name ivfIndex', () => {
  it.each([-1, 1.5, Number.NaN])('seed %s (was: a message about kmeans)', (seed) => {
    expect(() => ivfIndex([[0], [1], [2]], { nlist: 2, seed })).toThrow(/^ivfIndex: seed must be an integer/);
  });
});
