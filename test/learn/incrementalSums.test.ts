import { describe, expect, it } from 'vitest';
import { Vi } from '../../src/lazy/index.js';
import { clusterSums, sumsScratch } from '../../src/learn/clusterSums.js';
import { IncrementalSums } from '../../src/learn/incrementalSums.js';
import { points } from '../../src/learn/input.js';
import type { Problem } from '../../src/learn/kmeansSteps.js';
import { rng, uniform } from '../helpers/rng.js';

function problem(n: number, d: number, K: number, w: Float64Array | undefined, seed: number): Problem {
  const data = Float64Array.from(uniform(rng(seed), n * d), (v) => Math.exp(3 * v) - 7);
  const p = points({ data, shape: [n, d] }, 'x');
  return { p, K, w, X: Vi(p.array), eng: {} };
}

/** The sums from scratch (clusterSums) and the sums of absolute values, which bound the rounding. */
function fresh(pr: Problem, labels: Int32Array) {
  const { p, K, w } = pr;
  const acc = new Float64Array(K * (p.d + 1));
  clusterSums(p.data, p.d, w, labels, acc, sumsScratch(K, p.d));
  const abs = new Float64Array(K * (p.d + 1));
  for (let i = 0; i < p.n; i++) {
    const wi = w ? w[i]! : 1;
    const b = labels[i]! * (p.d + 1);
    for (let c = 0; c < p.d; c++) abs[b + c] += Math.abs(wi * p.data[i * p.d + c]!);
    abs[b + p.d] += wi;
  }
  return { acc, abs };
}

function expectNear(pr: Problem, sums: IncrementalSums, labels: Int32Array, moved: number) {
  const { acc, abs } = fresh(pr, labels);
  for (let q = 0; q < acc.length; q++)
    expect(Math.abs(sums.acc[q]! - acc[q]!)).toBeLessThanOrEqual(4 * (moved + pr.p.n) * 2 ** -52 * abs[q]!);
}

/** Moves every point whose label differs between `prev` and `next` (as Hamerly's run does). */
function follow(sums: IncrementalSums, prev: Int32Array, next: Int32Array): void {
  for (let i = 0; i < next.length; i++) if (prev[i] !== next[i]) sums.move(i, prev[i]!, next[i]!);
}

describe('IncrementalSums.move', () => {
  const n = 1003;
  const K = 6;
  for (const weighted of [false, true]) {
    const r = rng(weighted ? 2 : 1);
    const w = weighted
      ? Float64Array.from({ length: n }, (_, i) => (i % 9 === 0 ? 0 : 0.5 + r()))
      : undefined;

    it(`moves the points that changed cluster (${weighted ? 'weighted, zeros included' : 'unweighted'})`, () => {
      for (const d of [1, 3, 5]) {
        const pr = problem(n, d, K, w, 10 + d);
        const prev = Int32Array.from({ length: n }, () => Math.floor(r() * K));
        const sums = new IncrementalSums(pr);
        sums.rebuild(prev);
        expect(Array.from(sums.acc)).toEqual(Array.from(fresh(pr, prev).acc));
        // A few moves, one in the last (shorter) block of 4 and one at point 0.
        const next = prev.slice();
        for (const i of [0, 17, 18, 500, 998, n - 1])
          next[i] = (next[i]! + 1 + Math.floor(r() * (K - 1))) % K;
        follow(sums, prev, next);
        expectNear(pr, sums, next, 6);
        expect(sums.hasEmpty()).toBe(false);
        // No change: nothing moves.
        const before = Array.from(sums.acc);
        follow(sums, next, next.slice());
        expect(Array.from(sums.acc)).toEqual(before);
      }
    });

    it(`empties a cluster exactly when its last point of positive weight leaves (${weighted ? 'weighted' : 'unweighted'})`, () => {
      const pr = problem(n, 3, K, w, 4);
      // Cluster 5 holds points 9 and 10 only (point 9 has weight 0 when weighted).
      const prev = Int32Array.from({ length: n }, (_, i) => (i === 9 || i === 10 ? 5 : i % 5));
      const sums = new IncrementalSums(pr);
      sums.rebuild(prev);
      expect(sums.hasEmpty()).toBe(false);
      const next = prev.slice();
      next[10] = 2;
      follow(sums, prev, next);
      // Weighted: point 9 (weight 0) still has label 5, yet the cluster has no mass.
      expect(sums.hasEmpty()).toBe(weighted);
      if (weighted) for (let c = 0; c < 4; c++) expect(sums.acc[5 * 4 + c]).toBe(0);
      const last = next.slice();
      last[9] = 1;
      follow(sums, next, last);
      expect(sums.hasEmpty()).toBe(true);
      for (let c = 0; c < 4; c++) expect(sums.acc[5 * 4 + c]).toBe(0);
      expectNear(pr, sums, last, 2);
    });
  }

  it('counts an empty cluster at a rebuild without weights (the masses give the counts)', () => {
    const pr = problem(40, 2, 3, undefined, 8);
    const sums = new IncrementalSums(pr);
    sums.rebuild(Int32Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0 : 2)));
    expect(sums.hasEmpty()).toBe(true);
    sums.rebuild(Int32Array.from({ length: 40 }, (_, i) => i % 3));
    expect(sums.hasEmpty()).toBe(false);
  });
});
