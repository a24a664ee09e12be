import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { type GaussianMixtureResult, gaussianMixture } from '../../src/learn/index.js';
import type { NDArray } from '../../src/ndarray.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { normal, rng, uniform } from '../helpers/rng.js';
import { blobs, logGaussians, logSumExp } from './reference.js';

const TYPES = ['full', 'diag', 'spherical'] as const;

/** Three anisotropic 2-D blobs. */
function planted(seed: number, perCluster = 150) {
  const means = [
    [0, 0],
    [8, 1],
    [2, 9],
  ];
  const scales = [
    [1, 0.3],
    [0.4, 1.2],
    [0.7, 0.7],
  ];
  const K = 3;
  const n = K * perCluster;
  const z = normal(rng(seed), n * 2);
  const data = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const k = i % K;
    for (let a = 0; a < 2; a++) data[i * 2 + a] = means[k]![a]! + scales[k]![a]! * z[i * 2 + a]!;
  }
  return { x: { data, shape: [n, 2] } as NDArray<Float64Array>, means };
}

/** Dense log-density of the model's own parameters: log Σ_k π_k N(x | μ_k, Σ_k). */
function denseLogJoint(g: GaussianMixtureResult, x: Float64Array, n: number, d: number): Float64Array {
  const K = g.weights.length;
  const lg = logGaussians(x, n, d, g.means.data, g.covariances, K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) lg[i * K + k]! += Math.log(g.weights[k]!);
  return lg;
}

/** One dense EM step (float64) from the parameters of g, scikit-learn's formulas. */
function referenceStep(
  g: GaussianMixtureResult,
  x: Float64Array,
  n: number,
  d: number,
  type: string,
  reg: number,
) {
  const K = g.weights.length;
  const lj = denseLogJoint(g, x, n, d);
  const r = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const l = logSumExp(lj, i * K, K);
    for (let k = 0; k < K; k++) r[i * K + k] = Math.exp(lj[i * K + k]! - l);
  }
  const nk = new Float64Array(K);
  const means = new Float64Array(K * d);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < K; k++) {
      nk[k]! += r[i * K + k];
      for (let a = 0; a < d; a++) means[k * d + a]! += r[i * K + k]! * x[i * d + a]!;
    }
  for (let k = 0; k < K; k++) {
    nk[k]! += 10 * Number.EPSILON;
    for (let a = 0; a < d; a++) means[k * d + a]! /= nk[k];
  }
  const cov: number[] = [];
  for (let k = 0; k < K; k++) {
    const c = new Float64Array(d * d);
    for (let i = 0; i < n; i++)
      for (let a = 0; a < d; a++)
        for (let b = 0; b < d; b++)
          c[a * d + b]! +=
            (r[i * K + k]! * (x[i * d + a]! - means[k * d + a]!) * (x[i * d + b]! - means[k * d + b]!)) /
            nk[k]!;
    if (type === 'full')
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov.push(c[a * d + b]! + (a === b ? reg : 0));
    else if (type === 'diag') for (let a = 0; a < d; a++) cov.push(c[a * d + a]! + reg);
    else {
      let t = 0;
      for (let a = 0; a < d; a++) t += c[a * d + a]!;
      cov.push(t / d + reg);
    }
  }
  const total = nk.reduce((p, q) => p + q, 0);
  return { weights: nk.map((v) => v / total), means, cov: Float64Array.from(cov) };
}

describe.each(backendsUnderTest())('gaussianMixture on %s', (backend) => {
  it.each(TYPES)('one EM step equals a dense float64 EM step (%s)', (covariance) => {
    const { x } = planted(1, 40);
    const n = x.shape[0]!;
    const one = gaussianMixture(x, 3, { covariance, maxIter: 1, backend });
    const two = gaussianMixture(x, 3, { covariance, maxIter: 2, tol: 0, backend });
    expect(two.iterations).toBe(2);
    const ref = referenceStep(one, x.data, n, 2, covariance, 1e-6);
    for (let k = 0; k < 3; k++) expect(two.weights[k]).toBeCloseTo(ref.weights[k]!, 10);
    for (let t = 0; t < 6; t++) expect(two.means.data[t]).toBeCloseTo(ref.means[t]!, 9);
    expect(two.covariances.data.length).toBe(ref.cov.length);
    for (let t = 0; t < ref.cov.length; t++) expect(two.covariances.data[t]).toBeCloseTo(ref.cov[t]!, 9);
  });

  it.each(TYPES)('scoreSamples, predictProba and predict agree with the dense mixture (%s)', (covariance) => {
    const { x } = planted(2);
    const g = gaussianMixture(x, 3, { covariance, backend });
    const q = uniform(rng(9), 50 * 2, -3, 12);
    const lj = denseLogJoint(g, q, 50, 2);
    const score = g.scoreSamples({ data: q, shape: [50, 2] });
    const proba = g.predictProba({ data: q, shape: [50, 2] });
    const labels = g.predict({ data: q, shape: [50, 2] });
    expect(score.shape).toEqual([50]);
    expect(proba.shape).toEqual([50, 3]);
    for (let i = 0; i < 50; i++) {
      const l = logSumExp(lj, i * 3, 3);
      expect(score.data[i]).toBeCloseTo(l, 9);
      let sum = 0;
      let best = 0;
      for (let k = 0; k < 3; k++) {
        expect(proba.data[i * 3 + k]).toBeCloseTo(Math.exp(lj[i * 3 + k]! - l), 9);
        sum += proba.data[i * 3 + k]!;
        if (lj[i * 3 + k]! > lj[i * 3 + best]!) best = k;
      }
      expect(sum).toBeCloseTo(1, 12);
      expect(labels.data[i]).toBe(best);
    }
    const own = g.scoreSamples(x).data;
    expect(g.logLikelihood).toBeCloseTo(Array.from(own).reduce((p, v) => p + v, 0) / own.length, 12);
  });

  it('recovers planted means and covariances', () => {
    const { x, means } = planted(3, 400);
    const g = gaussianMixture(x, 3, { backend });
    expect(g.converged).toBe(true);
    expect(g.weights.reduce((p, v) => p + v, 0)).toBeCloseTo(1, 12);
    for (const m of means) {
      const k = [0, 1, 2].reduce((b, k) =>
        Math.hypot(g.means.data[k * 2]! - m[0]!, g.means.data[k * 2 + 1]! - m[1]!) <
        Math.hypot(g.means.data[b * 2]! - m[0]!, g.means.data[b * 2 + 1]! - m[1]!)
          ? k
          : b,
      );
      expect(Math.hypot(g.means.data[k * 2]! - m[0]!, g.means.data[k * 2 + 1]! - m[1]!)).toBeLessThan(0.15);
      expect(g.weights[k]).toBeCloseTo(1 / 3, 1);
    }
    expect(g.covariances.shape).toEqual([3, 2, 2]);
  });

  it('the log-likelihood never decreases along EM, and the convergence flag follows tol', () => {
    const { x } = planted(4, 60);
    let prev = Number.NEGATIVE_INFINITY;
    for (const maxIter of [1, 2, 4, 8]) {
      const g = gaussianMixture(x, 4, { init: 'random', maxIter, tol: 0, seed: 2, backend });
      expect(g.converged).toBe(false);
      expect(g.iterations).toBe(maxIter);
      expect(g.logLikelihood).toBeGreaterThanOrEqual(prev - 1e-9);
      prev = g.logLikelihood;
    }
    const loose = gaussianMixture(x, 4, { tol: 1e9, backend });
    expect(loose.converged).toBe(true);
    expect(loose.iterations).toBe(2);
  });

  it('stays finite with far-away points and tiny or empty components', () => {
    const { x } = blobs(
      [
        [0, 0, 0],
        [5, 5, 5],
      ],
      50,
      0.3,
      5,
    );
    const data = Float64Array.from([...x.data, 1e6, -1e6, 1e6, 3, 3, 3]);
    const n = data.length / 3;
    for (const covariance of TYPES) {
      const g = gaussianMixture({ data, shape: [n, 3] }, 6, { covariance, init: 'random', seed: 1, backend });
      for (const v of [...g.weights, ...g.means.data, ...g.covariances.data, g.logLikelihood])
        expect(Number.isFinite(v)).toBe(true);
      const far = g.predictProba({ data: Float64Array.from([1e8, 0, 0]), shape: [1, 3] }).data;
      expect(far.every((v) => Number.isFinite(v))).toBe(true);
      expect(Array.from(far).reduce((p, v) => p + v, 0)).toBeCloseTo(1, 12);
      expect(
        Number.isFinite(g.scoreSamples({ data: Float64Array.from([1e8, 0, 0]), shape: [1, 3] }).data[0]!),
      ).toBe(true);
    }
    // Duplicated points: more components than distinct values, some stay (nearly) empty.
    const dup = Float64Array.from({ length: 40 * 2 }, (_, t) => (Math.floor(t / 2) % 2) * 4);
    const g = gaussianMixture({ data: dup, shape: [40, 2] }, 4, { init: 'random', seed: 3, backend });
    for (const v of [...g.weights, ...g.means.data, ...g.covariances.data, g.logLikelihood])
      expect(Number.isFinite(v)).toBe(true);
  });

  it('works on float32 data', () => {
    const { x } = planted(6, 100);
    const g = gaussianMixture({ data: Float32Array.from(x.data), shape: x.shape }, 3, { backend });
    const g64 = gaussianMixture(x, 3, { backend });
    expect(g.logLikelihood).toBeCloseTo(g64.logLikelihood, 3);
    expect(g.scoreSamples(x).data).toBeInstanceOf(Float64Array);
  });
});

describe('gaussianMixture input checks', () => {
  const x = { data: uniform(rng(1), 20 * 2), shape: [20, 2] };
  const g = gaussianMixture(x, 2, { maxIter: 2 });
  it.each([
    ['K > N', () => gaussianMixture(x, 21)],
    ['K = 0', () => gaussianMixture(x, 0)],
    ['NaN data', () => gaussianMixture({ data: Float64Array.from([0, Number.NaN]), shape: [1, 2] }, 1)],
    ['unknown covariance', () => gaussianMixture(x, 2, { covariance: 'tied' as 'full' })],
    ['unknown init', () => gaussianMixture(x, 2, { init: 'kmeans++' as 'kmeans' })],
    ['negative regCovar', () => gaussianMixture(x, 2, { regCovar: -1 })],
    ['predict with the wrong dimension', () => g.predict({ data: new Float64Array(3), shape: [1, 3] })],
    [
      'scoreSamples with NaN',
      () => g.scoreSamples({ data: Float64Array.from([Number.NaN, 0]), shape: [1, 2] }),
    ],
  ])('%s -> LazyTensorError', (_, f) => {
    expect(f).toThrow(LazyTensorError);
  });
});

describe('gaussianMixture queries far beyond the float range of the model', () => {
  // Squared distances to every component overflow: all logits are -Infinity.
  const g = gaussianMixture([[0], [1], [2], [10], [11], [12]], 2);
  const far = { data: Float64Array.from([1e200]), shape: [1, 1] };
  it('predictProba throws instead of returning NaN', () => {
    expect(() => g.predictProba(far)).toThrow(/point 0: .* overflow the float64 range/);
  });
  it('scoreSamples throws instead of returning -Infinity', () => {
    expect(() => g.scoreSamples(far)).toThrow(/point 0: .* overflow the float64 range/);
  });
  it('predict throws instead of an arbitrary component', () => {
    expect(() => g.predict(far)).toThrow(/point 0: .* overflow the float64 range/);
  });
  it('a far query within range is still answered: the component of the larger mean', () => {
    const q = { data: Float64Array.from([1e10]), shape: [1, 1] };
    const big = g.means.data[0]! > g.means.data[1]! ? 0 : 1;
    expect(Array.from(g.predictProba(q).data)).toEqual(big === 0 ? [1, 0] : [0, 1]);
    expect(g.predict(q).data[0]).toBe(big);
    expect(Number.isFinite(g.scoreSamples(q).data[0]!)).toBe(true);
  });
});

describe('gaussianMixture on float32 data beyond the float32 range of its moments', () => {
  it.each([
    'full',
    'diag',
    'spherical',
  ] as const)("%s: coordinates ~1e30 (squares overflow float32) are a LazyTensorError that says so (was, for 'full': 'not positive definite; increase regCovar')", (covariance) => {
    const v = Array.from({ length: 40 }, (_, i) => (i < 20 ? 0 : 1e32) + 1e30 * Math.sin((i % 20) * 12.9898));
    const x = { data: Float32Array.from(v), shape: [20, 2] };
    for (const init of ['kmeans', 'random'] as const)
      expect(() => gaussianMixture(x, 2, { covariance, init }), init).toThrow(
        /^gaussianMixture: .*overflow the float32 range.*use float64/,
      );
  });
});
