import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { kmeans } from '../../src/learn/kmeans.js';
import { spectralClustering } from '../../src/learn/spectral.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { normal, rng, uniform } from '../helpers/rng.js';

/** Two concentric noisy rings, radii 1 and 3, n points each; ring index per point. */
function rings(n: number): { x: { data: Float64Array; shape: number[] }; ring: number[] } {
  const t = uniform(rng(11), 2 * n, 0, 2 * Math.PI);
  const e = normal(rng(12), 4 * n);
  const data = new Float64Array(4 * n);
  const ring: number[] = [];
  for (let i = 0; i < 2 * n; i++) {
    const r = i < n ? 1 : 3;
    data[2 * i] = r * Math.cos(t[i]!) + 0.05 * e[2 * i]!;
    data[2 * i + 1] = r * Math.sin(t[i]!) + 0.05 * e[2 * i + 1]!;
    ring.push(i < n ? 0 : 1);
  }
  return { x: { data, shape: [2 * n, 2] }, ring };
}

describe.each(backendsUnderTest())('spectralClustering on %s', (backend) => {
  it('separates two concentric rings (which k-means on the raw points cannot)', () => {
    const { x, ring } = rings(100);
    const { labels, embedding } = spectralClustering(x, 2, { scale: 0.3, backend });
    expect(labels.shape).toEqual([200]);
    expect(embedding.shape).toEqual([200, 2]);
    // Same label within each ring, different labels across rings.
    const a = labels.data[0]!;
    const b = labels.data[100]!;
    expect(a).not.toBe(b);
    for (let i = 0; i < 200; i++) expect(labels.data[i]).toBe(ring[i] === 0 ? a : b);
    // k-means on the raw points mixes the rings.
    const raw = kmeans(x, 2, { seed: 0, backend }).labels.data;
    expect(raw.slice(0, 100).some((l) => l !== raw[0])).toBe(true);
    // Embedding rows have unit length.
    for (let i = 0; i < 200; i++)
      expect(embedding.data[2 * i]! ** 2 + embedding.data[2 * i + 1]! ** 2).toBeCloseTo(1, 10);
  });
});

describe('spectralClustering: bad input', () => {
  it('reports NaN data, K = 0, K > N and a bad scale', () => {
    const { x } = rings(10);
    const bad = Float64Array.from(x.data);
    bad[5] = Number.NaN;
    const throwsLazy = (f: () => unknown, re: RegExp) => {
      expect(f).toThrow(LazyTensorError);
      expect(f).toThrow(re);
    };
    throwsLazy(
      () => spectralClustering({ data: bad, shape: [20, 2] }, 2, { scale: 1 }),
      /point 2 has a non-finite/,
    );
    throwsLazy(() => spectralClustering(x, 0, { scale: 1 }), /K must be an integer in \[1, 20\], got 0/);
    throwsLazy(() => spectralClustering(x, 21, { scale: 1 }), /K must be an integer in \[1, 20\], got 21/);
    throwsLazy(() => spectralClustering(x, 2, { scale: 0 }), /scale must be a finite number > 0/);
  });
});

describe('spectralClustering option messages name spectralClustering', () => {
  it.each([0, 1.5, Number.NaN])('nInit %s (was: a message about kmeans)', (nInit) => {
    expect(() => spectralClustering([[0], [1], [2]], 2, { scale: 1, nInit })).toThrow(
      /^spectralClustering: nInit must be an integer/,
    );
  });
});

describe('spectralClustering seed', () => {
  it.each([
    -1,
    1.5,
    2 ** 40,
  ])('%s is reported by spectralClustering (was, for 2^40: a message about kmeans)', (seed) => {
    expect(() => spectralClustering([[0], [1], [2]], 2, { scale: 1, seed })).toThrow(
      /^spectralClustering: seed must be an integer/,
    );
  });
});
