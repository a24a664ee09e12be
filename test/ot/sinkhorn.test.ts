import { describe, expect, it } from 'vitest';
import { exactOT, samplesLoss } from '../../src/ot/index.js';
import {
  cloud,
  expectFiniteDiffGradients,
  expectSimplexWeightGradients,
  nd,
  refSinkhorn,
  relErr,
  rng,
  weights,
} from './reference.js';

describe('Sinkhorn loss', () => {
  const r = rng(21);
  const n = 14;
  const m = 11;
  const d = 2;
  const x = cloud(r, n, d);
  const y = cloud(r, m, d, 0.3);
  const a = weights(r, n);
  const b = weights(r, m);
  const configs = [
    { p: 2, blur: 0.1, scaling: 0.5, debias: true },
    { p: 2, blur: 0.05, scaling: 0.8, debias: false },
    { p: 1, blur: 0.1, scaling: 0.7, debias: true },
    { p: 2, blur: 0.1, scaling: 0.5, debias: true, reach: 0.5 },
    { p: 1, blur: 0.2, scaling: 0.5, debias: false, reach: 0.3 },
  ];
  for (const o of configs) {
    it(`matches the dense GeomLoss loop, tensorized = online (${JSON.stringify(o)})`, () => {
      const ref = refSinkhorn(x, y, a, b, d, o);
      for (const backend of ['tensorized', 'online'] as const) {
        const res = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...o, a, b, backend });
        expect(res.backend).toBe(backend);
        expect(Math.abs((res.value as number) - ref.value)).toBeLessThan(1e-13);
        expect(relErr(res.potentials.f.data, ref.f)).toBeLessThan(1e-12);
        expect(relErr(res.potentials.g.data, ref.g)).toBeLessThan(1e-12);
      }
      const t = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...o, a, b, backend: 'tensorized' });
      const on = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...o, a, b, backend: 'online' });
      expect(relErr(t.gradX.data, on.gradX.data)).toBeLessThan(1e-12);
      expect(relErr(t.gradY.data, on.gradY.data)).toBeLessThan(1e-12);
    });
  }

  it('Diracs: value = cost, potentials = cost/2', () => {
    for (const p of [1, 2]) {
      for (const debias of [true, false]) {
        const res = samplesLoss([[0.1, 0.2]], [[0.7, -0.1]], { p, blur: 0.05, debias });
        const dist = Math.hypot(0.6, 0.3);
        const c = dist ** p / p;
        expect(res.value as number).toBeCloseTo(c, 12);
        expect(res.potentials.f.data[0]).toBeCloseTo(c / 2, 12);
        expect(res.potentials.g.data[0]).toBeCloseTo(c / 2, 12);
      }
    }
  });

  it('S(α, α) = 0 and S is symmetric', () => {
    const same = samplesLoss(nd(x, [n, d]), nd(x.slice(), [n, d]), { a, b: a.slice(), blur: 0.05 });
    expect(Math.abs(same.value as number)).toBeLessThan(1e-14);
    for (const v of same.gradX.data) expect(Math.abs(v)).toBeLessThan(1e-13);
    for (const reach of [undefined, 0.4]) {
      const s1 = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { a, b, blur: 0.05, reach });
      const s2 = samplesLoss(nd(y, [m, d]), nd(x, [n, d]), { a: b, b: a, blur: 0.05, reach });
      expect(Math.abs((s1.value as number) - (s2.value as number))).toBeLessThan(1e-15);
      expect(relErr(s1.gradX.data, s2.gradY.data)).toBeLessThan(1e-12);
    }
  });

  it('debiased Sinkhorn tends to exact OT as blur -> 0 (within 1%)', () => {
    const rr = rng(22);
    const N = 40;
    const xs = cloud(rr, N, 2);
    const ys = cloud(rr, N, 2, 0.4);
    const exact = exactOT(nd(xs, [N, 2]), nd(ys, [N, 2])).value;
    const s = samplesLoss(nd(xs, [N, 2]), nd(ys, [N, 2]), { blur: 0.003, scaling: 0.8 }).value as number;
    expect(Math.abs(s - exact) / exact).toBeLessThan(0.01);
    const exact1 = exactOT(nd(xs, [N, 2]), nd(ys, [N, 2]), { p: 1 }).value;
    const s1 = samplesLoss(nd(xs, [N, 2]), nd(ys, [N, 2]), { p: 1, blur: 0.001, scaling: 0.9 })
      .value as number;
    expect(Math.abs(s1 - exact1) / exact1).toBeLessThan(0.01);
  });

  it('handles batches: each batch equals its own unbatched loss', () => {
    const B = 3;
    const xb = cloud(r, B * n, d);
    const yb = cloud(r, B * m, d, 0.2);
    const ab = new Float64Array(B * n);
    for (let t = 0; t < B; t++) ab.set(weights(r, n), t * n);
    const res = samplesLoss(nd(xb, [B, n, d]), nd(yb, [B, m, d]), {
      a: nd(ab, [B, n]),
      blur: 0.1,
      backend: 'online',
    });
    const vals = res.value as Float64Array;
    expect(vals.length).toBe(B);
    const dense = samplesLoss(nd(xb, [B, n, d]), nd(yb, [B, m, d]), {
      a: nd(ab, [B, n]),
      blur: 0.1,
      backend: 'tensorized',
    });
    expect(relErr(dense.value as Float64Array, vals)).toBeLessThan(1e-13);
    expect(relErr(dense.gradY.data, res.gradY.data)).toBeLessThan(1e-12);
    for (let t = 0; t < B; t++) {
      // The diameter is shared by the batch (GeomLoss): compare with the same ε list.
      const same = samplesLoss(
        nd(xb.slice(t * n * d, (t + 1) * n * d), [n, d]),
        nd(yb.slice(t * m * d, (t + 1) * m * d), [m, d]),
        { a: ab.slice(t * n, (t + 1) * n), blur: 0.1, diameter: batchDiameter(xb, yb, d) },
      );
      expect(Math.abs(vals[t]! - (same.value as number))).toBeLessThan(1e-14);
      expect(relErr(res.gradX.data.slice(t * n * d, (t + 1) * n * d), same.gradX.data)).toBeLessThan(1e-11);
    }
  });

  it('asymmetric custom cost: the fused online loop keeps each problem oriented (= tensorized)', () => {
    // C(x, y) ≠ C(y, x): the transposed cross problem must read C(x_j, y_i), never C(y_i, x_j).
    const o = { blur: 0.1, scaling: 0.6, a, b, cost: 'SqDist(X,Y) / IntCst(2) + Sum(X) / IntCst(4)' };
    const t = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...o, backend: 'tensorized' });
    const on = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...o, backend: 'online' });
    expect(Math.abs((t.value as number) - (on.value as number))).toBeLessThan(1e-13);
    expect(relErr(on.potentials.f.data, t.potentials.f.data)).toBeLessThan(1e-12);
    expect(relErr(on.potentials.g.data, t.potentials.g.data)).toBeLessThan(1e-12);
    expect(relErr(on.gradX.data, t.gradX.data)).toBeLessThan(1e-12);
    expect(relErr(on.gradY.data, t.gradY.data)).toBeLessThan(1e-12);
    // The orientation matters: the symmetrised cost gives a different value.
    const sym = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), {
      ...o,
      cost: 'SqDist(X,Y) / IntCst(2) + (Sum(X) + Sum(Y)) / IntCst(8)',
      backend: 'online',
    });
    expect(Math.abs((sym.value as number) - (on.value as number))).toBeGreaterThan(1e-6);
  });

  it('zero weights: log clamped, no NaN, and the point does not matter', () => {
    const a0 = a.slice();
    a0[2] = 0;
    const s = a0.reduce((t, v) => t + v, 0);
    a0.forEach((v, k) => (a0[k] = v / s));
    const res = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { a: a0, b, blur: 0.1 });
    expect(Number.isFinite(res.value as number)).toBe(true);
    for (const v of res.gradX.data) expect(Number.isFinite(v)).toBe(true);
    expect(res.gradX.data[4]).toBe(0);
    const moved = x.slice();
    moved[4] = 5; // move the zero-mass point (inside the same diameter would matter only via the schedule)
    const res2 = samplesLoss(nd(moved, [n, d]), nd(y, [m, d]), { a: a0, b, blur: 0.1, diameter: 8 });
    const res3 = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { a: a0, b, blur: 0.1, diameter: 8 });
    expect(Math.abs((res2.value as number) - (res3.value as number))).toBeLessThan(1e-12);
  });
});

function batchDiameter(x: Float64Array, y: Float64Array, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const c of [x, y])
      for (let i = k; i < c.length; i += d) {
        lo = Math.min(lo, c[i]!);
        hi = Math.max(hi, c[i]!);
      }
    s += (hi - lo) ** 2;
  }
  return Math.sqrt(s);
}

describe('Sinkhorn gradients against central finite differences (converged loop, float64)', () => {
  const r = rng(23);
  const n = 6;
  const m = 8;
  const d = 2;
  const x = cloud(r, n, d);
  const y = cloud(r, m, d, 0.3);
  const a = weights(r, n);
  const b = weights(r, m);
  // Diameter just above blur and scaling close to 1: ~70 iterations at ε ≈ blur^p.
  const conv = { blur: 0.3, diameter: 0.30001, scaling: 0.9999995 };
  const cases = [
    { p: 2, debias: true },
    { p: 2, debias: false },
    { p: 1, debias: true },
    { p: 2, debias: true, reach: 0.4 },
    { p: 2, debias: false, reach: 0.4 },
    { p: 1, debias: true, reach: 0.6 },
    { p: 2, debias: true, cost: 'SqDist(X,Y) / IntCst(2)' },
  ];
  for (const c of cases) {
    it(JSON.stringify(c), () => {
      const o = { ...conv, ...c, backend: 'tensorized' as const };
      const val = (X: Float64Array, Y: Float64Array, A: Float64Array, B: Float64Array) =>
        samplesLoss(nd(X, [n, d]), nd(Y, [m, d]), { ...o, a: A, b: B, gradients: false }).value as number;
      const res = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...o, a, b });
      const tol = 2e-6;
      expectFiniteDiffGradients({ x, y, a, b, val, res }, ['x', 'y'], tol);
      if (c.reach !== undefined) {
        expectFiniteDiffGradients({ x, y, a, b, val, res }, ['a', 'b'], tol);
      } else {
        expectSimplexWeightGradients({ x, y, a, b, val, res }, tol);
      }
    });
  }
});
