import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { solveOT } from '../../src/ot/index.js';
import { resolveOptions, SOLVE_OT_OPTIONS } from '../../src/ot/options.js';
import { AUTO_MULTISCALE_PAIRS, pickBackend } from '../../src/ot/samplesLoss.js';
import { cloud, costMatrix, densePlan, nd, relErr, rng, weights } from './reference.js';

const l1 = (u: ArrayLike<number>, v: ArrayLike<number>) => {
  let s = 0;
  for (let k = 0; k < u.length; k++) s += Math.abs(u[k]! - v[k]!);
  return s;
};

/** Potentials of balanced OT are defined up to f + c, g − c: compare f − ⟨a, f⟩. */
function centered(f: Float64Array, a: Float64Array): Float64Array {
  let s = 0;
  let w = 0;
  for (let i = 0; i < f.length; i++) {
    s += a[i]! * f[i]!;
    w += a[i]!;
  }
  return f.map((v) => v - s / w);
}

describe("solveOT backend 'multiscale'", () => {
  const d = 2;
  const n = 300;
  const m = 250;
  const r = rng(41);
  const x = cloud(r, n, d);
  const y = cloud(r, m, d, 0.2);
  const a = weights(r, n);
  const b = weights(r, m);
  const base = { a, b, blur: 0.05, tol: 1e-7, compute: 'js' };

  it('equals online when both are converged, against a dense float64 plan', () => {
    const on = solveOT(nd(x, [n, d]), nd(y, [m, d]), { ...base, backend: 'online' });
    const ms = solveOT(nd(x, [n, d]), nd(y, [m, d]), { ...base, backend: 'multiscale', clusterScale: 0.1 });
    expect(ms.backend).toBe('multiscale');
    const levels = ms.convergence.levels;
    expect(levels.length).toBe(2);
    expect(levels[1]!.points).toEqual([n, m]);
    expect(levels[1]!.pairsVisited).toBeLessThan(1);
    expect(ms.convergence.marginalError).toBeLessThanOrEqual(1e-7);
    // Potentials (in the user's order) equal online's up to the constant of balanced OT.
    const sf = centered(ms.f.data, a);
    const sg = centered(ms.g.data, b);
    expect(relErr(sf, centered(on.f.data, a))).toBeLessThan(1e-4);
    expect(relErr(sg, centered(on.g.data, b))).toBeLessThan(1e-4);
    expect(Math.abs(ms.value - on.value)).toBeLessThan(1e-4 * Math.abs(on.value));
    // The plan of the returned potentials meets its marginals (dense float64 reference).
    const C = costMatrix(x, y, d, 2);
    const ref = densePlan(a, b, ms.f.data, ms.g.data, C, ms.eps);
    expect(l1(ref.rows, a)).toBeLessThan(1e-4);
    expect(l1(ref.cols, b)).toBeLessThan(1e-4);
    // The lazy plan's reductions (on the kept blocks) agree with the dense plan.
    expect(relErr(ms.plan.rowMasses(), ref.rows)).toBeLessThan(1e-4);
    expect(relErr(ms.plan.colMasses(), ref.cols)).toBeLessThan(1e-4);
    expect(ms.marginalErrors.a).toBeLessThan(1e-6);
    expect(ms.marginalErrors.b).toBeLessThan(1e-6);
    expect(relErr(ms.plan.dense().data, ref.P)).toBeLessThan(1e-12);
    const v = Float64Array.from({ length: m * 2 }, () => r() - 0.5);
    const u = Float64Array.from({ length: n }, () => r() - 0.5);
    const Pv = new Float64Array(n * 2);
    const Ptu = new Float64Array(m);
    const bary = new Float64Array(n * d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        const p = ref.P[i * m + j]!;
        for (let e = 0; e < 2; e++) Pv[i * 2 + e] = Pv[i * 2 + e]! + p * v[j * 2 + e]!;
        Ptu[j] = Ptu[j]! + p * u[i]!;
        for (let k = 0; k < d; k++) bary[i * d + k] = bary[i * d + k]! + (p * y[j * d + k]!) / ref.rows[i]!;
      }
    expect(relErr(ms.plan.matvec(nd(v, [m, 2])).data, Pv)).toBeLessThan(1e-3);
    expect(relErr(ms.plan.tmatvec(nd(u, [n])).data, Ptu)).toBeLessThan(1e-3);
    expect(relErr(ms.plan.barycentricMap().data, bary)).toBeLessThan(1e-4);
    // Matching and top-K: user column indices, rows in the user's order.
    const match = ms.plan.matching();
    const top = ms.plan.topK(2);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < m; j++) if (ref.P[i * m + j]! > ref.P[i * m + best]!) best = j;
      expect(match[i]).toBe(best);
      expect(top.indices.data[i * 2]).toBe(best);
      expect(top.mass.data[i * 2]! / ref.P[i * m + best]!).toBeCloseTo(1, 9);
    }
  });

  it('returns per-point results in the user order (shuffled inputs)', () => {
    const opts = { ...base, backend: 'multiscale' as const, clusterScale: 0.1 };
    const ms = solveOT(nd(x, [n, d]), nd(y, [m, d]), opts);
    const shuffle = (len: number) => {
      const p = Array.from({ length: len }, (_, k) => k);
      for (let k = len - 1; k > 0; k--) {
        const t = Math.floor(r() * (k + 1));
        [p[k], p[t]] = [p[t]!, p[k]!];
      }
      return p;
    };
    const px = shuffle(n);
    const py = shuffle(m);
    const take = (v: Float64Array, p: number[], w: number) => {
      const out = new Float64Array(p.length * w);
      p.forEach((src, dst) => {
        for (let k = 0; k < w; k++) out[dst * w + k] = v[src * w + k]!;
      });
      return out;
    };
    const sh = solveOT(nd(take(x, px, d), [n, d]), nd(take(y, py, d), [m, d]), {
      ...opts,
      a: take(a, px, 1),
      b: take(b, py, 1),
    });
    expect(relErr(sh.f.data, take(ms.f.data, px, 1))).toBeLessThan(1e-9);
    expect(relErr(sh.g.data, take(ms.g.data, py, 1))).toBeLessThan(1e-9);
    expect(relErr(sh.plan.rowMasses(), take(ms.plan.rowMasses(), px, 1))).toBeLessThan(1e-9);
    expect(relErr(sh.plan.barycentricMap().data, take(ms.plan.barycentricMap().data, px, d))).toBeLessThan(
      1e-9,
    );
    const inv = new Int32Array(m);
    py.forEach((src, dst) => {
      inv[src] = dst;
    });
    const match = ms.plan.matching();
    expect(Array.from(sh.plan.matching())).toEqual(px.map((i) => inv[match[i]!]!));
  });

  it('unbalanced with user labels equals online when both are converged', () => {
    /** Labels of the cubes of side 1/4 holding 3-D points. */
    const cells = (p: Float64Array, n: number) =>
      Int32Array.from({ length: n }, (_, i) =>
        [0, 1, 2].reduce((l, k) => 8 * l + Math.floor(p[i * 3 + k]! * 4), 0),
      );
    const d3 = 3;
    const r3 = rng(43);
    const x3 = cloud(r3, 200, d3);
    const y3 = cloud(r3, 180, d3, 0.3);
    const opts = { blur: 0.1, reach: 0.5, tol: 1e-8, compute: 'js' };
    const on = solveOT(nd(x3, [200, d3]), nd(y3, [180, d3]), { ...opts, backend: 'online' });
    const ms = solveOT(nd(x3, [200, d3]), nd(y3, [180, d3]), {
      ...opts,
      backend: 'multiscale',
      labelsX: cells(x3, 200),
      labelsY: cells(y3, 180),
    });
    // The user's clusters (cubes of side 1/4, wider than the blur) truncate the kernel by their
    // radii: the truncation error stays ~1e-4. Unbalanced potentials are unique: compare them directly.
    expect(ms.convergence.levels.at(-1)!.pairsVisited).toBeLessThan(0.9);
    expect(relErr(ms.f.data, on.f.data)).toBeLessThan(1e-3);
    expect(relErr(ms.g.data, on.g.data)).toBeLessThan(1e-3);
    expect(Math.abs(ms.value - on.value)).toBeLessThan(1e-3 * Math.abs(on.value));
    expect(ms.marginalErrors.a).toBeLessThan(1e-6);
    expect(ms.marginalErrors.b).toBeLessThan(1e-6);
  });

  it('user clusters much wider than the blur: the truncation keeps the pairs the plan needs', () => {
    // Two slabs per cloud, each half the square wide, at blur 0.02: centroid costs alone dropped
    // pairs of points near the slabs' common border, and the plan could not meet the marginals.
    const r2 = rng(47);
    const x2 = cloud(r2, 40, 2);
    const y2 = cloud(r2, 30, 2, 0.05);
    const slab = (p: Float64Array, n: number) =>
      Int32Array.from({ length: n }, (_, i) => (p[2 * i]! < 0.5 ? 0 : 1));
    const opts = { blur: 0.02, tol: 1e-6, compute: 'js' };
    const on = solveOT(nd(x2, [40, 2]), nd(y2, [30, 2]), { ...opts, backend: 'online' });
    const ms = solveOT(nd(x2, [40, 2]), nd(y2, [30, 2]), {
      ...opts,
      backend: 'multiscale',
      labelsX: slab(x2, 40),
      labelsY: slab(y2, 30),
    });
    // Balanced at this blur, Sinkhorn itself stalls near 5e-5 (online too): the truncated plan
    // must do as well as the full one, where it stayed 0.033 off.
    expect(ms.marginalErrors.a).toBeLessThan(1e-4);
    expect(ms.marginalErrors.b).toBeLessThan(1e-4);
    expect(Math.abs(ms.value - on.value)).toBeLessThan(1e-6 * Math.abs(on.value));
  });

  it("'auto' picks multiscale for solveOT above AUTO_MULTISCALE_PAIRS", () => {
    const opts = resolveOptions({}, 'solveOT', SOLVE_OT_OPTIONS);
    const big = { n: 40000, d: 3, B: 1, batched: false } as never;
    expect(40000 * 40000).toBeGreaterThanOrEqual(AUTO_MULTISCALE_PAIRS);
    expect(pickBackend(opts, big, big)).toBe('multiscale');
  });

  it('bad options are LazyTensorErrors that name solveOT and the option', () => {
    const run = (o: object) => () =>
      solveOT(nd(x, [n, d]), nd(y, [m, d]), { ...base, backend: 'multiscale', ...o });
    expect(run({ labelsX: new Int32Array(n - 1) })).toThrow(LazyTensorError);
    expect(run({ labelsX: new Int32Array(n - 1) })).toThrow(/solveOT: labelsX must have 300 labels/);
    expect(run({ truncate: 0 })).toThrow(/truncate must be a finite number > 0/);
    expect(run({ clusterScale: -1 })).toThrow(/clusterScale/);
    expect(run({ cost: 'SqDist(X,Y)' })).toThrow(/solveOT: backend 'multiscale' needs the built-in cost/);
    expect(run({ a: a.map((v, i) => (i === 0 ? -v : v)) })).toThrow(LazyTensorError);
  });
});
