import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { solveOT } from '../../src/ot/index.js';
import { cloud, costMatrix, densePlan, nd, relErr, rng, weights } from './reference.js';

describe('OT solver with a lazy plan', () => {
  const r = rng(31);
  const n = 12;
  const m = 9;
  const d = 2;
  const x = cloud(r, n, d);
  const y = cloud(r, m, d, 0.2);
  const a = weights(r, n);
  const b = weights(r, m);

  it('plan operations agree with the dense plan built from the potentials', () => {
    const res = solveOT(nd(x, [n, d]), nd(y, [m, d]), { a, b, blur: 0.15, scaling: 0.9 });
    const C = costMatrix(x, y, d, 2);
    const P = densePlan(a, b, res.f.data, res.g.data, C, res.eps).P;
    expect(relErr(res.plan.dense().data, P)).toBeLessThan(1e-12);
    const rows = new Float64Array(n);
    const cols = new Float64Array(m);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        rows[i] = rows[i]! + P[i * m + j]!;
        cols[j] = cols[j]! + P[i * m + j]!;
      }
    expect(relErr(res.plan.rowMasses(), rows)).toBeLessThan(1e-12);
    expect(relErr(res.plan.colMasses(), cols)).toBeLessThan(1e-12);
    // Marginal errors are the L1 distances to a and b.
    let ea = 0;
    for (let i = 0; i < n; i++) ea += Math.abs(rows[i]! - a[i]!);
    expect(Math.abs(res.marginalErrors.a - ea)).toBeLessThan(1e-13);
    // ε-scaling with scaling 0.9 stops before convergence: the marginals are close, not exact.
    expect(res.marginalErrors.a).toBeLessThan(0.05);
    expect(res.marginalErrors.b).toBeLessThan(0.05);
    // matvec with a signed 2-column v, and the transpose.
    const v = Float64Array.from({ length: m * 2 }, () => r() - 0.5);
    const u = Float64Array.from({ length: n }, () => r() - 0.5);
    const Pv = new Float64Array(n * 2);
    const Ptu = new Float64Array(m);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        for (let e = 0; e < 2; e++) Pv[i * 2 + e] = Pv[i * 2 + e]! + P[i * m + j]! * v[j * 2 + e]!;
        Ptu[j] = Ptu[j]! + P[i * m + j]! * u[i]!;
      }
    expect(relErr(res.plan.matvec(nd(v, [m, 2])).data, Pv)).toBeLessThan(1e-12);
    expect(relErr(res.plan.tmatvec(nd(u, [n])).data, Ptu)).toBeLessThan(1e-12);
    // Barycentric map, matching, top-K.
    const bary = res.plan.barycentricMap().data;
    const match = res.plan.matching();
    const top = res.plan.topK(3);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < d; k++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += P[i * m + j]! * y[j * d + k]!;
        expect(bary[i * d + k]).toBeCloseTo(s / rows[i]!, 12);
      }
      const order = Array.from({ length: m }, (_, j) => j).sort(
        (p, q) => P[i * m + q]! - P[i * m + p]! || p - q,
      );
      expect(match[i]).toBe(order[0]);
      for (let k = 0; k < 3; k++) {
        expect(top.indices.data[i * 3 + k]).toBe(order[k]);
        expect(top.mass.data[i * 3 + k]! / P[i * m + order[k]!]!).toBeCloseTo(1, 12);
      }
    }
  });

  it('matvec/tmatvec take typed arrays; wrong lengths, NaN values and non-arrays are LazyTensorErrors', () => {
    const res = solveOT(nd(x, [n, d]), nd(y, [m, d]), { a, b, blur: 0.15 });
    const v = Float64Array.from({ length: m }, (_, j) => j - 4);
    // A Float64Array was a TypeError; it means the same as the number[].
    expect(res.plan.matvec(v).data).toEqual(res.plan.matvec(Array.from(v)).data);
    expect(res.plan.tmatvec(new Float64Array(n).fill(1)).data).toEqual(res.plan.colMasses());
    const bad = [
      () => res.plan.matvec(new Float64Array(m + 1)),
      () => res.plan.matvec(Float64Array.from(v, (t, j) => (j === 2 ? Number.NaN : t))),
      () => res.plan.tmatvec({ data: new Float64Array(n - 1), shape: [n] }),
      // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
      () => res.plan.matvec(undefined as any),
    ];
    for (const f of bad) expect(f).toThrow(LazyTensorError);
    expect(bad[1]).toThrow(/value 2 of the vector is not finite/);
  });

  it('recovers a planted permutation', () => {
    const N = 30;
    const xs = cloud(r, N, 3);
    const perm = Array.from({ length: N }, (_, k) => k);
    for (let k = N - 1; k > 0; k--) {
      const t = Math.floor(r() * (k + 1));
      [perm[k], perm[t]] = [perm[t]!, perm[k]!];
    }
    const ys = new Float64Array(N * 3);
    for (let i = 0; i < N; i++)
      for (let k = 0; k < 3; k++) ys[perm[i]! * 3 + k] = xs[i * 3 + k]! + 0.01 * (r() - 0.5);
    const res = solveOT(nd(xs, [N, 3]), nd(ys, [N, 3]), { blur: 0.01, scaling: 0.8 });
    expect(Array.from(res.plan.matching())).toEqual(perm);
  });

  it('gives a diagonal plan for a convex-gradient map', () => {
    const N = 25;
    const xs = cloud(r, N, 2);
    const ys = new Float64Array(N * 2);
    for (let i = 0; i < N; i++) {
      ys[2 * i] = 1.5 * xs[2 * i]! + 0.4 * xs[2 * i + 1]! + 0.3;
      ys[2 * i + 1] = 0.4 * xs[2 * i]! + 0.8 * xs[2 * i + 1]! - 0.2;
    }
    const res = solveOT(nd(xs, [N, 2]), nd(ys, [N, 2]), { blur: 0.003, scaling: 0.8 });
    expect(Array.from(res.plan.matching())).toEqual(Array.from({ length: N }, (_, k) => k));
    const P = res.plan.dense().data;
    let diag = 0;
    for (let i = 0; i < N; i++) diag += P[i * N + i]!;
    expect(diag).toBeGreaterThan(0.99);
  });

  it('unbalanced: fixed point f = −ε/(1+ε/ρ) log Σ_j b_j e^{(g_j − C_ij)/ε} and marginals a e^{−f/ρ}', () => {
    const reach = 0.3;
    const b2 = weights(rng(32), m, 1.7); // unequal masses: allowed with a reach
    const res = solveOT(nd(x, [n, d]), nd(y, [m, d]), {
      a,
      b: b2,
      reach,
      blur: 0.2,
      diameter: 0.2000002,
      scaling: 1 - 1e-8,
    });
    const rho = reach ** 2;
    const eps = res.eps;
    const C = costMatrix(x, y, d, 2);
    const f = res.f.data;
    const g = res.g.data;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += b2[j]! * Math.exp((g[j]! - C[i * m + j]!) / eps);
      expect(f[i]).toBeCloseTo((-eps / (1 + eps / rho)) * Math.log(s), 8);
    }
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += a[i]! * Math.exp((f[i]! - C[i * m + j]!) / eps);
      expect(g[j]).toBeCloseTo((-eps / (1 + eps / rho)) * Math.log(s), 8);
    }
    const rows = res.plan.rowMasses();
    const cols = res.plan.colMasses();
    for (let i = 0; i < n; i++) expect(rows[i]! / (a[i]! * Math.exp(-f[i]! / rho))).toBeCloseTo(1, 6);
    for (let j = 0; j < m; j++) expect(cols[j]! / (b2[j]! * Math.exp(-g[j]! / rho))).toBeCloseTo(1, 6);
    expect(res.marginalErrors.a).toBeLessThan(1e-6);
    expect(res.marginalErrors.b).toBeLessThan(1e-6);
  });
});
