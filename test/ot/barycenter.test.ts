import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { barycenter } from '../../src/ot/barycenter.js';
import { mulberry32 } from '../../src/random.js';

/** Inverse of the error function (Giles' single-precision approximation, refined by Newton). */
function erfinv(y: number): number {
  const a = 0.147;
  const l = Math.log(1 - y * y);
  const t = 2 / (Math.PI * a) + l / 2;
  return Math.sign(y) * Math.sqrt(Math.sqrt(t * t - l / a) - t);
}

/** n deterministic quantile points of N(m, s²). */
function quantiles(m: number, s: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => m + s * Math.SQRT2 * erfinv(2 * ((i + 0.5) / n) - 1));
}

function moments(x: Float64Array, a: Float64Array): { mean: number; std: number } {
  let mean = 0;
  for (let i = 0; i < a.length; i++) mean += a[i]! * x[i]!;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += a[i]! * (x[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v) };
}

describe('barycenter', () => {
  it('of two 1-D Gaussians is the Gaussian with averaged mean and standard deviation (free support)', () => {
    const n = 100;
    const A = { x: { data: quantiles(0.2, 0.05, n), shape: [n, 1] } };
    const B = { x: { data: quantiles(0.7, 0.15, n), shape: [n, 1] } };
    const r = barycenter([A, B], { blur: 0.01, nPoints: 80, iterations: 10 });
    const { mean, std } = moments(r.x.data, r.a.data);
    expect(Math.abs(mean - 0.45)).toBeLessThan(1e-3);
    expect(Math.abs(std - 0.1)).toBeLessThan(5e-3);
    expect(r.x.shape).toEqual([80, 1]);
    // Unequal weights (¾, ¼): mean and std are the weighted averages.
    const q = barycenter([A, B], { blur: 0.01, nPoints: 80, iterations: 10, weights: [3, 1] });
    const mq = moments(q.x.data, q.a.data);
    expect(Math.abs(mq.mean - 0.325)).toBeLessThan(1e-3);
    expect(Math.abs(mq.std - 0.075)).toBeLessThan(5e-3);
  });

  it('of a cloud with itself is itself (free support, 2-D)', () => {
    const u = mulberry32(3);
    const n = 60;
    const x = Float64Array.from({ length: 2 * n }, () => u());
    const m = { x: { data: x, shape: [n, 2] } };
    const r = barycenter([m, m], { blur: 0.01, nPoints: n, iterations: 30, seed: 5 });
    // Every input point has a barycenter point nearby and vice versa.
    const near = (p: Float64Array, i: number, q: Float64Array) => {
      let best = Infinity;
      for (let j = 0; j < q.length / 2; j++)
        best = Math.min(best, Math.hypot(p[2 * i]! - q[2 * j]!, p[2 * i + 1]! - q[2 * j + 1]!));
      return best;
    };
    for (let i = 0; i < n; i++) {
      // The initial jitter is up to blur/2 = 0.005 per coordinate.
      expect(near(x, i, r.x.data)).toBeLessThan(5e-4);
      expect(near(r.x.data, i, x)).toBeLessThan(5e-4);
    }
  });

  it('of a weighted cloud with itself on its own support recovers its weights (fixed support)', () => {
    const u = mulberry32(11);
    const n = 20;
    const x = { data: Float64Array.from({ length: n }, (_, i) => i / n), shape: [n, 1] };
    const w = Float64Array.from({ length: n }, () => 0.2 + u());
    const s = w.reduce((t, v) => t + v, 0);
    const a = w.map((v) => v / s);
    const r = barycenter(
      [
        { x, a },
        { x, a },
      ],
      { support: x, blur: 0.01, iterations: 60 },
    );
    expect(r.x.data).toEqual(x.data);
    for (let i = 0; i < n; i++) expect(Math.abs(r.a.data[i]! - a[i]!)).toBeLessThan(1e-6 * a[i]!);
  });

  /** Two clusters of n points each (spread ±0.005 per coordinate), masses 0.8 and 0.2. */
  function twoClusters(u: () => number, heavy: number[], light: number[], n = 10) {
    const D = heavy.length;
    const x = new Float64Array(2 * n * D);
    const a = new Float64Array(2 * n);
    for (let i = 0; i < 2 * n; i++) {
      const c = i < n ? heavy : light;
      for (let d = 0; d < D; d++) x[i * D + d] = c[d]! + 0.01 * (u() - 0.5);
      a[i] = (i < n ? 0.8 : 0.2) / n;
    }
    return { x: { data: x, shape: [2 * n, D] }, a };
  }

  /** Mass of the barycenter within `r` of `c`, and the weighted mean of those points. */
  function near(x: Float64Array, a: Float64Array, c: number[], r: number) {
    const D = c.length;
    let mass = 0;
    const mean = new Array<number>(D).fill(0);
    for (let i = 0; i < a.length; i++) {
      let d2 = 0;
      for (let d = 0; d < D; d++) d2 += (x[i * D + d]! - c[d]!) ** 2;
      if (d2 > r * r) continue;
      mass += a[i]!;
      for (let d = 0; d < D; d++) mean[d] += a[i]! * x[i * D + d]!;
    }
    return { mass, mean: mean.map((v) => v / mass) };
  }

  it('free support optimises the weights too: recovers planted masses 0.8/0.2 with 3 points (1-D)', () => {
    // W2 barycenter in 1-D = average of the quantile functions: 0.8 δ_0.2 + 0.2 δ_0.75; with
    // uniform weights 1/3 no 3-point measure has those masses.
    const u = mulberry32(1);
    const A = twoClusters(u, [0.1], [0.6]);
    const B = twoClusters(u, [0.3], [0.9]);
    const r = barycenter([A, B], { blur: 0.01, nPoints: 3, iterations: 10, seed: 2 });
    const total = r.a.data.reduce((s, v) => s + v, 0);
    expect(total).toBeCloseTo(1, 12);
    const h = near(r.x.data, r.a.data, [0.2], 0.1);
    const l = near(r.x.data, r.a.data, [0.75], 0.1);
    expect(Math.abs(h.mass - 0.8)).toBeLessThan(2e-3);
    expect(Math.abs(l.mass - 0.2)).toBeLessThan(2e-3);
    // Cluster centres of the inputs, averaged (jitter means included by the tolerance).
    expect(Math.abs(h.mean[0]! - 0.2)).toBeLessThan(3e-3);
    expect(Math.abs(l.mean[0]! - 0.75)).toBeLessThan(3e-3);
  });

  it('free support with barycentric weights ¾, ¼ recovers the planted masses and positions (2-D)', () => {
    // Heavy matched to heavy, light to light: 0.8 δ_{¾p1+¼p2} + 0.2 δ_{¾q1+¼q2}.
    const u = mulberry32(4);
    const A = twoClusters(u, [0.2, 0.2], [0.8, 0.3]);
    const B = twoClusters(u, [0.3, 0.5], [0.7, 0.8]);
    const r = barycenter([A, B], { blur: 0.01, nPoints: 4, iterations: 10, seed: 1, weights: [3, 1] });
    const h = near(r.x.data, r.a.data, [0.225, 0.275], 0.1);
    const l = near(r.x.data, r.a.data, [0.775, 0.425], 0.1);
    expect(Math.abs(h.mass - 0.8)).toBeLessThan(2e-3);
    expect(Math.abs(l.mass - 0.2)).toBeLessThan(2e-3);
    expect(Math.hypot(h.mean[0]! - 0.225, h.mean[1]! - 0.275)).toBeLessThan(4e-3);
    expect(Math.hypot(l.mean[0]! - 0.775, l.mean[1]! - 0.425)).toBeLessThan(4e-3);
  });

  it('rejects bad input with LazyTensorError', () => {
    const x = { data: new Float64Array([0, 0.5, 1]), shape: [3, 1] };
    const y = { data: new Float64Array([0, 0, 1, 1]), shape: [2, 2] };
    expect(() => barycenter([])).toThrow(LazyTensorError);
    expect(() => barycenter([{ x }, { x: y }])).toThrow(/dimension D/);
    expect(() => barycenter([{ x, a: [1, -1, 1] }])).toThrow(/non-negative/);
    expect(() => barycenter([{ x }, { x }], { weights: [1] })).toThrow(/expected 2 weights/);
    expect(() => barycenter([{ x }, { x }], { weights: [1, -1] })).toThrow(LazyTensorError);
    expect(() => barycenter([{ x }], { support: y })).toThrow(/support must be/);
    expect(() => barycenter([{ x }], { nPoints: 0 })).toThrow(LazyTensorError);
    expect(() => barycenter([{ x }], { support: x, nPoints: 3 })).toThrow(/either/);
  });

  it('rejects bad blurs, seeds, sizes and mixed dtypes with messages that name barycenter', () => {
    const x = { data: new Float64Array([0, 0.5, 1]), shape: [3, 1] };
    // Fixed support: were "Pm(): entry 0 must be a finite number, got NaN / Infinity".
    for (const blur of [Number.NaN, 0])
      expect(() => barycenter([{ x }, { x }], { support: x, blur })).toThrow(
        /barycenter: blur must be a finite number > 0/,
      );
    expect(() => barycenter([{ x }, { x }], { support: x, blur: 1e-300 })).toThrow(
      /blur = 1e-300 is too small/,
    );
    // Were silently some seed.
    for (const seed of [Number.NaN, 1.5])
      expect(() => barycenter([{ x }, { x }], { nPoints: 2, seed })).toThrow(
        /barycenter: seed must be an integer/,
      );
    // Was a RangeError (Invalid typed array length).
    expect(() => barycenter([{ x }, { x }], { nPoints: 1e10 })).toThrow(/nPoints × D must be ≤/);
    // Was reported by samplesLoss.
    const x32 = { data: Float32Array.from(x.data), shape: [3, 1] };
    expect(() => barycenter([{ x }, { x: x32 }], { nPoints: 2 })).toThrow(
      /barycenter: every measure must have the dtype/,
    );
  });
});
