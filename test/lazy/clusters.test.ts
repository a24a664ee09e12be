import { describe, expect, it } from 'vitest';
import { clusterRangesCentroids } from '../../src/lazy/clusters.js';

describe('clusterRangesCentroids', () => {
  it('handles a million sorted points (no argument-spread limit on the labels)', () => {
    const n = 1_000_000;
    const data = new Float64Array(n);
    const labels = new Int32Array(n);
    // Clusters of 1, 2, 3, 1, 2, 3, ... points at x = its index.
    let at = 0;
    let c = 0;
    while (at < n) {
      const size = Math.min(1 + (c % 3), n - at);
      labels.fill(c, at, at + size);
      for (let i = at; i < at + size; i++) data[i] = c;
      at += size;
      c++;
    }
    const { ranges, centroids, weights } = clusterRangesCentroids({ data, shape: [n, 1] }, labels);
    expect(weights.length).toBe(c);
    expect(ranges[2 * (c - 1) + 1]).toBe(n);
    expect(ranges.subarray(0, 6)).toEqual(Int32Array.from([0, 1, 1, 3, 3, 6]));
    expect(weights.subarray(0, 3)).toEqual(Float64Array.from([1, 2, 3]));
    expect(centroids.data[c - 1]).toBe(c - 1);
  });
});
