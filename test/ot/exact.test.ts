import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { exactOT, networkSimplex, slicedWasserstein, wasserstein1D } from '../../src/ot/index.js';
import {
  cloud,
  costMatrix,
  expectFiniteDiffGradients,
  expectSimplexWeightGradients,
  nd,
  rng,
  weights,
} from './reference.js';

/** Minimum over all permutations σ of (1/N) Σ_i C[i, σ(i)]. */
function bruteForceAssignment(C: Float64Array, n: number): number {
  const perm = Array.from({ length: n }, (_, k) => k);
  let best = Infinity;
  const visit = (k: number) => {
    if (k === n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += C[i * n + perm[i]!]!;
      best = Math.min(best, s / n);
      return;
    }
    for (let t = k; t < n; t++) {
      [perm[k], perm[t]] = [perm[t]!, perm[k]!];
      visit(k + 1);
      [perm[k], perm[t]] = [perm[t]!, perm[k]!];
    }
  };
  visit(0);
  return best;
}

/** Checks primal feasibility, dual feasibility and zero duality gap: a certificate of optimality. */
function certify(
  res: ReturnType<typeof networkSimplex>,
  a: Float64Array,
  b: Float64Array,
  C: Float64Array,
): void {
  const n = a.length;
  const m = b.length;
  const rows = res.plan.rowMasses();
  const cols = res.plan.colMasses();
  for (let i = 0; i < n; i++) expect(Math.abs(rows[i]! - a[i]!)).toBeLessThan(1e-12);
  for (let j = 0; j < m; j++) expect(Math.abs(cols[j]! - b[j]!)).toBeLessThan(1e-12);
  let dual = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) dual += a[i]! * res.f[i]!;
  for (let j = 0; j < m; j++) dual += b[j]! * res.g[j]!;
  for (let k = 0; k < n * m; k++) scale = Math.max(scale, Math.abs(C[k]!));
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) expect(C[i * m + j]! - res.f[i]! - res.g[j]!).toBeGreaterThan(-1e-11 * scale);
  for (let k = 0; k < res.plan.mass.length; k++) {
    const i = res.plan.rows[k]!;
    const j = res.plan.cols[k]!;
    expect(Math.abs(C[i * m + j]! - res.f[i]! - res.g[j]!)).toBeLessThan(1e-11 * scale);
  }
  expect(Math.abs(dual - res.value)).toBeLessThan(1e-12 * Math.max(1, scale));
  expect(res.plan.mass.length).toBeLessThanOrEqual(n + m - 1);
  expect(res.converged).toBe(true);
}

describe('network simplex', () => {
  it('matches brute force over permutations for N <= 7 (uniform weights)', () => {
    const r = rng(1);
    for (let n = 1; n <= 7; n++) {
      for (let trial = 0; trial < 3; trial++) {
        const x = cloud(r, n, 2);
        const y = cloud(r, n, 2);
        const p = trial === 1 ? 1 : 2;
        const C = costMatrix(x, y, 2, p);
        const u = new Float64Array(n).fill(1 / n);
        const res = networkSimplex(u, u, C);
        expect(Math.abs(res.value - bruteForceAssignment(C, n))).toBeLessThan(1e-14);
        certify(res, u, u, C);
      }
    }
  });

  it('is optimal (primal-dual certificate) on weighted, rectangular, degenerate problems', () => {
    const r = rng(2);
    for (const [n, m] of [
      [5, 9],
      [30, 20],
      [60, 60],
    ] as const) {
      const a = weights(r, n);
      const b = weights(r, m);
      a[0] = 0; // zero-mass points get c-transform potentials
      const s = a.reduce((t, v) => t + v, 0);
      for (let i = 0; i < n; i++) a[i] = a[i]! / s;
      const C = costMatrix(cloud(r, n, 3), cloud(r, m, 3), 3, 2);
      certify(networkSimplex(a, b, C), a, b, C);
    }
    // Integer costs with many ties (heavy degeneracy) and negative entries.
    const n = 12;
    const C = new Float64Array(n * n);
    for (let k = 0; k < C.length; k++) C[k] = Math.floor(r() * 4) - 1;
    const u = new Float64Array(n).fill(1 / n);
    const res = networkSimplex(u, u, C);
    certify(res, u, u, C);
    expect(Math.abs(res.value - bruteForceLike(C, n))).toBeLessThan(1e-12);
  });

  it('gives the identity plan for a convex-gradient map y = ∇φ(x)', () => {
    const r = rng(3);
    const n = 40;
    const x = cloud(r, n, 2);
    // φ(x) = ½ xᵀ A x + cᵀx with A symmetric positive definite: y = A x + c.
    const y = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      y[2 * i] = 1.5 * x[2 * i]! + 0.4 * x[2 * i + 1]! + 0.3;
      y[2 * i + 1] = 0.4 * x[2 * i]! + 0.8 * x[2 * i + 1]! - 0.2;
    }
    const res = exactOT({ data: x, shape: [n, 2] }, { data: y, shape: [n, 2] });
    const P = res.plan.dense();
    for (let i = 0; i < n; i++) expect(P[i * n + i]).toBeCloseTo(1 / n, 14);
  });

  it('rejects bad input', () => {
    const C = new Float64Array(4);
    expect(() => networkSimplex([0.5, 0.5], [0.3, 0.3], C)).toThrow(LazyTensorError);
    expect(() => networkSimplex([0.5, -0.5], [0.5, -0.5], C)).toThrow(LazyTensorError);
    expect(() => networkSimplex([0, 0], [0, 0], C)).toThrow(LazyTensorError);
    expect(() => networkSimplex([Number.NaN, 1], [0.5, 0.5], C)).toThrow(LazyTensorError);
    expect(() => networkSimplex([0.5, 0.5], [0.5, 0.5], new Float64Array(3))).toThrow(LazyTensorError);
  });

  it('rejects costs whose spread overflows, a bad maxIter and arguments that are not arrays', () => {
    // Were NaN potentials, value 0 and an empty plan reported as converged.
    const C = [1e308, -1e308, 1e308, 1e308];
    expect(() => networkSimplex([0.5, 0.5], [0.5, 0.5], C)).toThrow(/the costs span .* rescale the costs/);
    // Were silently 0 iterations (−1, NaN) or accepted (1.5).
    for (const maxIter of [-1, Number.NaN, 1.5])
      expect(() => networkSimplex([0.5, 0.5], [0.5, 0.5], [0, 1, 1, 0], { maxIter })).toThrow(
        /maxIter must be an integer ≥ 0/,
      );
    // Was a TypeError.
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    expect(() => networkSimplex(undefined as any, [0.5, 0.5], [0, 1, 1, 0])).toThrow(LazyTensorError);
  });

  it('exactOT: unknown options, overflowing distances and mixed dtypes are LazyTensorErrors', () => {
    const x = nd(Float64Array.from([0, 0, 1, 0, 0, 1]), [3, 2]);
    const y = nd(Float64Array.from([0.2, 0.1, 0.9, 0.3, 0.4, 0.8]), [3, 2]);
    // Was silently ignored.
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong option
    expect(() => exactOT(x, y, { blur: 0.1 } as any)).toThrow(/unknown option 'blur'/);
    const big = nd(
      x.data.map((v) => v * 1e200),
      [3, 2],
    );
    expect(() => exactOT(big, y)).toThrow(/rescale the coordinates/);
    expect(() => exactOT({ data: Float32Array.from(x.data), shape: [3, 2] }, y)).toThrow(/same dtype/);
    expect(exactOT(x, y).value).toBeGreaterThan(0);
  });
});

/** Brute-force assignment for a square cost with uniform weights. */
function bruteForceLike(C: Float64Array, n: number): number {
  // Hungarian-free check: the assignment polytope's vertices are permutations; n = 12 is too large
  // for enumeration, so compare with a dynamic program over subsets (exact, O(2^n n)).
  const full = 1 << n;
  const dp = new Float64Array(full).fill(Infinity);
  dp[0] = 0;
  for (let mask = 0; mask < full; mask++) {
    const i = popcount(mask);
    if (i >= n || dp[mask] === Infinity) continue;
    for (let j = 0; j < n; j++) {
      if (mask & (1 << j)) continue;
      const nm = mask | (1 << j);
      dp[nm] = Math.min(dp[nm]!, dp[mask]! + C[i * n + j]!);
    }
  }
  return dp[full - 1]! / n;
}

function popcount(v: number): number {
  let c = 0;
  while (v) {
    v &= v - 1;
    c++;
  }
  return c;
}

describe('1-D OT by sorting', () => {
  it('equals the network simplex for weighted clouds and any p >= 1, with feasible potentials', () => {
    const r = rng(4);
    for (const p of [1, 1.5, 2, 3]) {
      const n = 23;
      const m = 17;
      const x = Float64Array.from({ length: n }, () => r());
      const y = Float64Array.from({ length: m }, () => 1.2 * r() - 0.1);
      const a = weights(r, n);
      const b = weights(r, m);
      a[3] = 0;
      b[5] = 0;
      const sa = a.reduce((s, v) => s + v, 0);
      const sb = b.reduce((s, v) => s + v, 0);
      a.forEach((v, k) => (a[k] = v / sa));
      b.forEach((v, k) => (b[k] = v / sb));
      const C = costMatrix(x, y, 1, p);
      const exact = networkSimplex(a, b, C);
      const o = wasserstein1D(x, y, { a, b, p });
      expect(Math.abs(o.value - exact.value)).toBeLessThan(1e-14);
      let dual = 0;
      for (let i = 0; i < n; i++) dual += a[i]! * o.f![i]!;
      for (let j = 0; j < m; j++) dual += b[j]! * o.g![j]!;
      expect(Math.abs(dual - o.value)).toBeLessThan(1e-14);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < m; j++) expect(C[i * m + j]! - o.f![i]! - o.g![j]!).toBeGreaterThan(-1e-14);
      const rows = o.plan!.rowMasses();
      for (let i = 0; i < n; i++) expect(Math.abs(rows[i]! - a[i]!)).toBeLessThan(1e-15);
    }
  });

  it('overflowing costs and inputs that are not 1-D arrays are LazyTensorErrors', () => {
    // p = 2 costs of points 1e200 apart overflow: the value was +∞ and the potentials NaN.
    expect(() => wasserstein1D([0, 1e200, 2e200], [0.5e200, 1.5e200])).toThrow(/overflow float64 .* rescale/);
    // Finite costs near the float64 limit stay fine.
    expect(wasserstein1D([-1e308, 1e308], [0, 1], { p: 1 }).value).toBe(1e308);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong inputs
    const bad = (x: any) => () => wasserstein1D(x, [0.5, 1.5]);
    expect(bad({ data: Float64Array.from([0, 1]), shape: [2] })).toThrow(/got an NDArray \[2\]/);
    expect(bad([[0], [1]])).toThrow(/x\[0\] is not a finite number \(an array \[1\]\)/);
  });

  it('rejects p < 1 and unequal masses', () => {
    expect(() => wasserstein1D([0, 1], [0, 1], { p: 0.5 })).toThrow(LazyTensorError);
    expect(() => wasserstein1D([0, 1], [0, 1], { a: [0.5, 0.5], b: [0.5, 0.2] })).toThrow(LazyTensorError);
  });
});

describe('sliced Wasserstein', () => {
  it('bad projections, seeds and directions, overflowing costs are LazyTensorErrors', () => {
    const x = { data: Float64Array.from([0, 0, 1, 0, 0, 1, 1, 1]), shape: [4, 2] };
    const y = { data: Float64Array.from([0.2, 0.1, 0.9, 0.3, 0.4, 0.8]), shape: [3, 2] };
    // Was a RangeError (Invalid typed array length).
    expect(() => slicedWasserstein(x, y, { projections: 1e12 })).toThrow(/projections × D ≤ 2147483647/);
    // Was silently some seed.
    expect(() => slicedWasserstein(x, y, { seed: Number.NaN })).toThrow(/seed must be an integer/);
    // Was reported by wasserstein1D as a non-finite x[0].
    const dirs = { data: Float64Array.from([Number.NaN, 0]), shape: [1, 2] };
    expect(() => slicedWasserstein(x, y, { directions: dirs })).toThrow(/directions: value 0 is not finite/);
    // Were a non-finite value and gradients.
    const big = (c: typeof x) => ({ data: c.data.map((v) => v * 1e200), shape: c.shape });
    expect(() => slicedWasserstein(big(x), big(y), { gradients: true })).toThrow(/overflow float64/);
  });

  it('is deterministic for a seed and averages exact 1-D costs over the directions', () => {
    const r = rng(5);
    const n = 30;
    const x = { data: cloud(r, n, 3), shape: [n, 3] };
    const y = { data: cloud(r, n, 3, 0.5), shape: [n, 3] };
    const s1 = slicedWasserstein(x, y, { projections: 20, seed: 7 });
    const s2 = slicedWasserstein(x, y, { projections: 20, seed: 7 });
    expect(s1.value).toBe(s2.value);
    const dirs = s1.directions.data;
    let mean = 0;
    for (let l = 0; l < 20; l++) {
      const px = Float64Array.from(
        { length: n },
        (_, i) =>
          x.data[3 * i]! * dirs[3 * l]! +
          x.data[3 * i + 1]! * dirs[3 * l + 1]! +
          x.data[3 * i + 2]! * dirs[3 * l + 2]!,
      );
      const py = Float64Array.from(
        { length: n },
        (_, i) =>
          y.data[3 * i]! * dirs[3 * l]! +
          y.data[3 * i + 1]! * dirs[3 * l + 1]! +
          y.data[3 * i + 2]! * dirs[3 * l + 2]!,
      );
      const C = costMatrix(px, py, 1, 2);
      const u = new Float64Array(n).fill(1 / n);
      mean += networkSimplex(u, u, C).value / 20;
      expect(Math.hypot(dirs[3 * l]!, dirs[3 * l + 1]!, dirs[3 * l + 2]!)).toBeCloseTo(1, 14);
    }
    expect(Math.abs(s1.value - mean)).toBeLessThan(1e-14);
    // A translation by t along every direction: SW = E_θ ½(θ·t)² = ½|t|²/D.
    const t = [0.3, -0.2, 0.5];
    const yt = { data: Float64Array.from(x.data, (v, k) => v + t[k % 3]!), shape: [n, 3] };
    const sw = slicedWasserstein(x, yt, { projections: 4000, seed: 1 }).value;
    expect(Math.abs(sw - (0.5 * (0.09 + 0.04 + 0.25)) / 3)).toBeLessThan(0.004);
  });

  for (const p of [2, 1.5, 1]) {
    it(`gradients against central finite differences (p = ${p}, weighted, N ≠ M)`, () => {
      const r = rng(40 + p * 10);
      const n = 6;
      const m = 8;
      const x = cloud(r, n, 2);
      const y = cloud(r, m, 2, 0.2);
      const a = weights(r, n);
      const b = weights(r, m);
      const o = { p, projections: 5, seed: 3 };
      const val = (X: Float64Array, Y: Float64Array, A: Float64Array, B: Float64Array) =>
        slicedWasserstein({ data: X, shape: [n, 2] }, { data: Y, shape: [m, 2] }, { ...o, a: A, b: B }).value;
      const res = slicedWasserstein(
        { data: x, shape: [n, 2] },
        { data: y, shape: [m, 2] },
        { ...o, a, b, gradients: true },
      );
      expect(res.value).toBe(val(x, y, a, b));
      expect(res.gradX!.shape).toEqual([n, 2]);
      const g = { gradX: res.gradX!, gradY: res.gradY!, gradA: res.gradA!, gradB: res.gradB! };
      expectFiniteDiffGradients({ x, y, a, b, val, res: g }, ['x', 'y'], 1e-6);
      expectSimplexWeightGradients({ x, y, a, b, val, res: g }, 1e-6, 1e-7);
    });
  }
});
