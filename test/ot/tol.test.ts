import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { samplesLoss, solveOT } from '../../src/ot/index.js';
import { cloud, costMatrix, nd, rng, weights } from './reference.js';

/** L1 marginal errors of the dense plan a_i b_j exp((f_i + g_j − C_ij)/ε), in float64. */
function denseMarginalErrors(
  a: Float64Array,
  b: Float64Array,
  f: Float64Array,
  g: Float64Array,
  C: Float64Array,
  eps: number,
) {
  const n = a.length;
  const m = b.length;
  const rows = new Float64Array(n);
  const cols = new Float64Array(m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      const p = a[i]! * b[j]! * Math.exp((f[i]! + g[j]! - C[i * m + j]!) / eps);
      rows[i]! += p;
      cols[j]! += p;
    }
  let ea = 0;
  let eb = 0;
  for (let i = 0; i < n; i++) ea += Math.abs(rows[i]! - a[i]!);
  for (let j = 0; j < m; j++) eb += Math.abs(cols[j]! - b[j]!);
  return { a: ea, b: eb };
}

describe('tol and maxIter: iterate at the final ε until the marginals are met', () => {
  const r = rng(7);
  const n = 60;
  const m = 50;
  const d = 2;
  const x = cloud(r, n, d);
  const y = cloud(r, m, d, 0.3);
  const a = weights(r, n);
  const b = weights(r, m);
  const C = costMatrix(x, y, d, 2);

  it('solveOT: the default schedule misses the marginals at blur 0.05, tol meets them', () => {
    const loose = solveOT(nd(x, [n, d]), nd(y, [m, d]), { a, b, blur: 0.05 });
    const ref0 = denseMarginalErrors(a, b, loose.f.data, loose.g.data, C, loose.eps);
    expect(ref0.a + ref0.b).toBeGreaterThan(1e-2);
    const tight = solveOT(nd(x, [n, d]), nd(y, [m, d]), { a, b, blur: 0.05, tol: 1e-5 });
    const ref = denseMarginalErrors(a, b, tight.f.data, tight.g.data, C, tight.eps);
    expect(Math.max(ref.a, ref.b)).toBeLessThan(1e-5);
    expect(Math.max(tight.marginalErrors.a, tight.marginalErrors.b)).toBeLessThan(1e-5);
    expect(tight.iterations).toBeGreaterThan(loose.iterations);
  });

  it('samplesLoss: tol reports convergence and changes the value of the converged problem only slightly', () => {
    const res = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { a, b, blur: 0.05, tol: 1e-6, gradients: false });
    expect(res.convergence!.marginalError).toBeLessThanOrEqual(1e-6);
    expect(res.convergence!.extraIterations).toBeGreaterThan(0);
    const capped = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { a, b, blur: 0.05, tol: 1e-12, maxIter: 3 });
    expect(capped.convergence!.extraIterations).toBe(3);
    expect(capped.convergence!.marginalError).toBeGreaterThan(1e-12);
  });

  it('unbalanced: the marginal error is measured against the fixed-point masses and meets tol', () => {
    const res = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { blur: 0.05, reach: 0.3, tol: 1e-7 });
    expect(res.convergence!.marginalError).toBeLessThanOrEqual(1e-7);
  });

  it('converged with tol, the envelope gradients match finite differences of the value', () => {
    const k = 25;
    const xs = x.slice(0, k * d);
    const ys = y.slice(0, k * d);
    const opts = { blur: 0.05, tol: 1e-9, debias: false } as const;
    const value = (xv: Float64Array) =>
      samplesLoss(nd(xv, [k, d]), nd(ys, [k, d]), { ...opts, gradients: false }).value as number;
    const res = samplesLoss(nd(xs, [k, d]), nd(ys, [k, d]), opts);
    const h = 1e-5;
    let num = 0;
    let den = 0;
    for (const c of [0, 17, 44]) {
      const xp = xs.slice();
      const xm = xs.slice();
      xp[c]! += h;
      xm[c]! -= h;
      const fd = (value(xp) - value(xm)) / (2 * h);
      num += (fd - res.gradX.data[c]!) ** 2;
      den += fd ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(1e-3);
  });

  it('bad tol / maxIter, and the error names solveOT', () => {
    const X = nd(x, [n, d]);
    const Y = nd(y, [m, d]);
    expect(() => solveOT(X, Y, { tol: -1 })).toThrow(LazyTensorError);
    expect(() => solveOT(X, Y, { maxIter: 1.5 })).toThrow(/maxIter must be an integer/);
    expect(() => solveOT(X, Y, { maxIters: 3 } as never)).toThrow(/^solveOT: unknown option 'maxIters'/);
  });
});
