import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import {
  chooseClustering,
  kmeansHierarchies,
  MIN_CLUSTER_SIZE,
  TARGET_CLUSTER_SIZE,
  TOP_CLUSTERS,
} from '../../src/ot/hierarchy.js';
import { samplesLoss } from '../../src/ot/index.js';
import { cloud, nd, relErr, rng } from './reference.js';

const c = (data: Float64Array, d: number) => ({
  data,
  B: 1,
  n: data.length / d,
  d,
  dtype: 'float64' as const,
  batched: false,
  shape: [data.length / d, d],
});

/** n points around `k` centres in [0, 1)^d (Gaussian-ish spread `s`): a cloud that k-means can cluster. */
function blobs(r: () => number, n: number, d: number, k: number, s: number, shift = 0): Float64Array {
  const centres = cloud(r, k, d);
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c0 = i % k;
    for (let q = 0; q < d; q++) out[i * d + q] = centres[c0 * d + q]! + shift + s * (r() + r() + r() - 1.5);
  }
  return out;
}

describe("backend 'multiscale' with k-means clusters (D > 3)", () => {
  for (const [d, reach] of [
    [5, undefined],
    [8, 0.5],
  ] as const) {
    it(`equals online when both are converged with tol: D = ${d}, reach ${reach}`, () => {
      const r = rng(40 + d);
      // Unequal masses per blob: balanced OT moves a little mass between the blobs, through pairs
      // of wide clusters whose centroids are far apart (the truncation must keep them).
      const n = 200;
      const m = 170;
      const x = blobs(r, n, d, 6, 0.1);
      const y = blobs(r, m, d, 6, 0.1, 0.05);
      const opts = { blur: 0.1, scaling: 0.7, reach, tol: 1e-5 };
      const on = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...opts, backend: 'online' });
      const ms = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...opts, backend: 'multiscale' });
      const conv = ms.convergence!;
      expect(conv.clustering).toBe('kmeans');
      expect(conv.levels.length).toBeGreaterThanOrEqual(2);
      expect(conv.levels.at(-1)!.points).toEqual([n, m]);
      expect(conv.levels.at(-1)!.pairsVisited).toBeLessThanOrEqual(1);
      expect(Math.abs((ms.value as number) - (on.value as number))).toBeLessThan(
        1e-3 * Math.abs(on.value as number),
      );
      expect(relErr(ms.gradX.data, on.gradX.data)).toBeLessThan(2e-2);
      expect(relErr(ms.gradY.data, on.gradY.data)).toBeLessThan(2e-2);
    });
  }

  it('nested k-means levels: contiguous children, leaves of ≤ TARGET_CLUSTER_SIZE points, ≤ TOP_CLUSTERS on top, deterministic', () => {
    const r = rng(9);
    const d = 8;
    const n = 12000;
    const m = 9000;
    const x = c(blobs(r, n, d, 50, 0.2), d);
    const y = c(cloud(r, m, d), d);
    const a = new Float64Array(n).fill(1 / n);
    const b = new Float64Array(m).fill(1 / m);
    const { hx, hy, widths } = kmeansHierarchies(x, a, y, b, undefined);
    expect(hx.levels.length).toBe(hy.levels.length);
    expect(widths.length).toBe(hx.levels.length - 1);
    expect(hx.levels.length).toBeGreaterThan(2);
    for (let j = 1; j < widths.length; j++) expect(widths[j]!).toBeGreaterThanOrEqual(widths[j - 1]!);
    for (const [h, size] of [
      [hx, n],
      [hy, m],
    ] as const) {
      expect(Array.from(h.perm).sort((u, v) => u - v)).toEqual(Array.from({ length: size }, (_, i) => i));
      for (let j = 1; j < h.levels.length; j++) {
        const ch = h.levels[j]!.children!;
        const K = h.levels[j]!.cloud.n;
        // The children of the clusters of level j tile level j - 1 in order.
        expect(ch[0]).toBe(0);
        for (let k = 0; k < K; k++) {
          expect(ch[2 * k + 1]!).toBeGreaterThan(ch[2 * k]!);
          if (k > 0) expect(ch[2 * k]).toBe(ch[2 * k - 1]);
        }
        expect(ch[2 * K - 1]).toBe(h.levels[j - 1]!.cloud.n);
        if (j === 1)
          for (let k = 0; k < K; k++)
            expect(ch[2 * k + 1]! - ch[2 * k]!).toBeLessThanOrEqual(TARGET_CLUSTER_SIZE);
        // Each centroid is the weighted mean of its children's points (composed ranges).
      }
      expect(h.levels.at(-1)!.cloud.n).toBeLessThanOrEqual(TOP_CLUSTERS);
      expect(h.levels.at(-2)!.cloud.n).toBeGreaterThan(TOP_CLUSTERS);
    }
    const again = kmeansHierarchies(x, a, y, b, undefined);
    expect(again.hx.perm).toEqual(hx.perm);
    expect(again.widths).toEqual(widths);
  });

  it('the clustering is chosen by the dimension and the grid, and reported', () => {
    const kind = (d: number, extra: object = {}) => {
      const r = rng(d);
      const x = nd(cloud(r, 200, d), [200, d]);
      const y = nd(cloud(r, 150, d, 0.1), [150, d]);
      return samplesLoss(x, y, { blur: 0.1, backend: 'multiscale', gradients: false, ...extra }).convergence!
        .clustering;
    };
    expect(kind(2)).toBe('grid');
    expect(kind(3)).toBe('grid');
    expect(kind(4)).toBe('kmeans');
    expect(kind(5, { clusterScale: 0.3 })).toBe('grid');
    expect(kind(5, { clustering: 'grid' })).toBe('grid');
    expect(kind(2, { clustering: 'kmeans' })).toBe('kmeans');
    expect(kind(2, { labelsX: new Int32Array(200), labelsY: new Int32Array(150) })).toBe('labels');
    // A grid whose finest level averages fewer than MIN_CLUSTER_SIZE points per cluster: k-means.
    expect(chooseClustering(3, () => MIN_CLUSTER_SIZE - 0.5)).toBe('kmeans');
    expect(chooseClustering(3, () => MIN_CLUSTER_SIZE)).toBe('grid');
    expect(chooseClustering(4, () => 100)).toBe('kmeans');
  });

  it('tiny clouds (one k-means cluster each) and float32 clouds equal online', () => {
    const r = rng(12);
    for (const [n, m, d, f32] of [
      [20, 15, 6, false],
      [90, 70, 6, true],
    ] as const) {
      const cv = (len: number) => (f32 ? Float32Array.from(cloud(r, len, d)) : cloud(r, len, d));
      const x = { data: cv(n), shape: [n, d] };
      const y = { data: cv(m), shape: [m, d] };
      const opts = { blur: 0.1, tol: 1e-6 };
      const on = samplesLoss(x, y, { ...opts, backend: 'online' });
      const ms = samplesLoss(x, y, { ...opts, backend: 'multiscale' });
      expect(ms.convergence!.clustering).toBe('kmeans');
      expect(ms.gradX.data).toBeInstanceOf(f32 ? Float32Array : Float64Array);
      expect(Math.abs((ms.value as number) - (on.value as number))).toBeLessThan(
        (f32 ? 1e-3 : 1e-6) * Math.abs(on.value as number),
      );
      expect(relErr(ms.gradX.data, on.gradX.data)).toBeLessThan(f32 ? 2e-2 : 1e-4);
    }
  });

  it('bad input: unknown clustering, k-means with a grid width', () => {
    const r = rng(5);
    const x = nd(cloud(r, 20, 5), [20, 5]);
    const y = nd(cloud(r, 20, 5), [20, 5]);
    // biome-ignore lint/suspicious/noExplicitAny: an invalid option on purpose
    const bad = { clustering: 'voxels' } as any;
    expect(() => samplesLoss(x, y, { backend: 'multiscale', ...bad })).toThrow(LazyTensorError);
    expect(() => samplesLoss(x, y, { backend: 'multiscale', ...bad })).toThrow(/clustering must be one of/);
    expect(() =>
      samplesLoss(x, y, { backend: 'multiscale', clustering: 'kmeans', clusterScale: 0.1 }),
    ).toThrow(LazyTensorError);
  });
});
