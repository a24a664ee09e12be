import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { knnClassify } from '../../src/learn/index.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';
import { sqDist } from './reference.js';

/** Brute force: sort by distance, vote, largest share wins, ties to the lowest label. */
function reference(
  train: Float64Array,
  labels: Int32Array,
  q: Float64Array,
  d: number,
  K: number,
  mode: string,
) {
  const n = labels.length;
  const C = Math.max(...labels) + 1;
  const out: { label: number; proba: number[] }[] = [];
  for (let i = 0; i < q.length / d; i++) {
    const nn = Array.from({ length: n }, (_, j) => [sqDist(q, i, train, j, d), j] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .slice(0, K);
    const proba = new Array<number>(C).fill(0);
    const exact = nn.some(([s]) => s === 0);
    for (const [s, j] of nn)
      proba[labels[j]!]! += mode === 'uniform' ? 1 : exact ? (s === 0 ? 1 : 0) : 1 / Math.sqrt(s);
    const total = proba.reduce((a, b) => a + b, 0);
    const p = proba.map((v) => v / total);
    let label = 0;
    for (let c = 1; c < C; c++) if (p[c]! > p[label]!) label = c;
    out.push({ label, proba: p });
  }
  return out;
}

describe.each(backendsUnderTest())('knnClassify on %s', (backend) => {
  it.each(['uniform', 'distance'] as const)('matches a brute-force vote (%s weights)', (weights) => {
    const r = rng(7);
    const n = 200;
    const d = 3;
    const train = uniform(r, n * d);
    const labels = Int32Array.from(
      { length: n },
      (_, i) => (train[i * d]! + train[i * d + 1]! > 1 ? 1 : 0) + (i % 7 === 0 ? 2 : 0),
    );
    const q = uniform(r, 60 * d);
    for (const K of [1, 4, 7]) {
      const res = knnClassify({ data: train, shape: [n, d] }, labels, { data: q, shape: [60, d] }, K, {
        weights,
        backend,
      });
      const ref = reference(train, labels, q, d, K, weights);
      expect(res.proba.shape).toEqual([60, 4]);
      ref.forEach((e, i) => {
        expect(res.labels.data[i]).toBe(e.label);
        e.proba.forEach((p, c) => expect(res.proba.data[i * 4 + c]).toBeCloseTo(p, 12));
      });
    }
  });

  it('breaks ties to the lowest label; an exact match takes the whole distance-weighted vote', () => {
    const train = { data: Float64Array.from([0, 1, 3, 4]), shape: [4, 1] };
    const labels = Int32Array.from([3, 1, 2, 0]);
    const q = { data: Float64Array.from([0.5, 3.5, 1]), shape: [3, 1] };
    const uni = knnClassify(train, labels, q, 2, { backend });
    expect(Array.from(uni.labels.data)).toEqual([1, 0, 1]);
    const dist = knnClassify(train, labels, q, 2, { weights: 'distance', backend });
    expect(Array.from(dist.proba.data.subarray(8, 12))).toEqual([0, 1, 0, 0]);
    expect(dist.labels.data[2]).toBe(1);
  });
});

describe('knnClassify input checks', () => {
  const train = { data: uniform(rng(1), 10 * 2), shape: [10, 2] };
  const labels = new Int32Array(10);
  const q = { data: uniform(rng(2), 4 * 2), shape: [4, 2] };
  it.each([
    ['k > n', () => knnClassify(train, labels, q, 11)],
    ['K = 0', () => knnClassify(train, labels, q, 0)],
    ['wrong number of labels', () => knnClassify(train, new Int32Array(9), q, 3)],
    ['labels not Int32Array', () => knnClassify(train, new Float64Array(10) as unknown as Int32Array, q, 3)],
    ['negative label', () => knnClassify(train, new Int32Array(10).fill(-1), q, 3)],
    [
      'queries of another dimension',
      () => knnClassify(train, labels, { data: new Float64Array(3), shape: [1, 3] }, 3),
    ],
    [
      'NaN query',
      () => knnClassify(train, labels, { data: Float64Array.from([Number.NaN, 0]), shape: [1, 2] }, 3),
    ],
    ['unknown weights', () => knnClassify(train, labels, q, 3, { weights: 'gaussian' as 'uniform' })],
  ])('%s -> LazyTensorError', (_, f) => {
    expect(f).toThrow(LazyTensorError);
  });
});

describe('knnClassify at the limits', () => {
  const f32 = (v: number[]) => ({ data: Float32Array.from(v), shape: [v.length, 1] });
  it('distance votes whose squared distances overflow the dtype (was: NaN probabilities)', () => {
    const labels = Int32Array.from([0, 1, 1]);
    expect(() => knnClassify([[0], [1e200], [2e200]], labels, [[1e201]], 3, { weights: 'distance' })).toThrow(
      /overflow the float64 range/,
    );
    expect(() => knnClassify(f32([0, 1e20, 2e20]), labels, f32([1e21]), 3, { weights: 'distance' })).toThrow(
      /overflow the float32 range/,
    );
  });
  it('a label so large that proba [N, C] cannot be allocated (was: a RangeError)', () => {
    const labels = Int32Array.from([0, 2 ** 30]);
    expect(() => knnClassify([[0], [1]], labels, [[0], [1], [2], [3]], 1)).toThrow(LazyTensorError);
    expect(() => knnClassify([[0], [1]], labels, [[0], [1], [2], [3]], 1)).toThrow(/number the classes/);
  });
  it('sparse labels within the limit still work', () => {
    const res = knnClassify([[0], [1]], Int32Array.from([0, 5]), [[0.9]], 1);
    expect(res.proba.shape).toEqual([1, 6]);
    expect(res.labels.data[0]).toBe(5);
  });
});

describe('knnClassify on tiny coordinates', () => {
  it('votes of the nearest points, as at scale 1 (was: the first points, all ties at distance 0)', () => {
    const s = 2 ** -100;
    const u = [0.3, 0.1, 0.7, 0.45, 0.9, 0.2];
    const labels = Int32Array.from([0, 0, 1, 1, 1, 0]);
    for (const weights of ['uniform', 'distance'] as const) {
      const ref = knnClassify(
        { data: Float32Array.from(u), shape: [6, 1] },
        labels,
        { data: Float32Array.from([0.42]), shape: [1, 1] },
        1,
        {
          weights,
        },
      );
      expect(ref.labels.data[0]).toBe(1);
      const res = knnClassify(
        { data: Float32Array.from(u, (v) => v * s), shape: [6, 1] },
        labels,
        { data: Float32Array.from([0.42 * s]), shape: [1, 1] },
        1,
        { weights },
      );
      expect(res.labels.data[0], weights).toBe(1);
    }
  });
});
