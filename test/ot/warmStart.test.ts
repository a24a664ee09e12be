import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { samplesLoss } from '../../src/ot/samplesLoss.js';
import { warmSinkhorn } from '../../src/ot/warmStart.js';
import { mulberry32 } from '../../src/random.js';
import { unbalancedFixedPoint } from './fixedPoint.js';

const D = 2;
const N = 40;
const M = 50;
const BLUR = 0.1;
const REACH = 0.5;

function cloud(n: number, seed: number, shift = 0): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n * D }, (_, k) => r() + (k % D === 0 ? shift : 0));
}

const denseFixedPoint = (x: Float64Array, y: Float64Array, a: Float64Array, b: Float64Array) =>
  unbalancedFixedPoint(x, y, a, b, D, BLUR, REACH);

const maxDiff = (p: ArrayLike<number>, q: ArrayLike<number>) =>
  Math.max(...Array.from(p, (v, k) => Math.abs(v - q[k]!)));

describe('warmSinkhorn', () => {
  const x = cloud(N, 1);
  const y = cloud(M, 2, 0.2);
  const a = new Float64Array(N).fill(1 / N);
  const b = new Float64Array(M).fill(1.2 / M);
  const ref = denseFixedPoint(x, y, a, b);

  for (const backend of ['tensorized', 'online'] as const) {
    it(`${backend}: from zero potentials, enough steps reach the dense fixed point`, () => {
      const r = warmSinkhorn(x, y, a, b, D, {
        blur: BLUR,
        reach: REACH,
        f: new Float64Array(N),
        g: new Float64Array(M),
        steps: 400,
        backend,
      });
      expect(maxDiff(r.f, ref.f)).toBeLessThan(1e-9);
      expect(maxDiff(r.g, ref.g)).toBeLessThan(1e-9);
    });
  }

  it('from the potentials of a slightly moved source, a few steps land closer than the cold ε-scaling solve', () => {
    const moved = x.map((v, k) => v + (k % D === 0 ? 0.01 : -0.005));
    const prev = denseFixedPoint(moved, y, a, b);
    const cold = samplesLoss(
      { data: x, shape: [N, D] },
      { data: y, shape: [M, D] },
      { blur: BLUR, reach: REACH, debias: false, gradients: false, a, b },
    );
    const coldErr = maxDiff(cold.potentials.g.data, ref.g);
    const start = maxDiff(prev.g, ref.g);
    const warm = warmSinkhorn(x, y, a, b, D, { blur: BLUR, reach: REACH, f: prev.f, g: prev.g, steps: 3 });
    const warmErr = maxDiff(warm.g, ref.g);
    expect(warmErr).toBeLessThan(start);
    expect(warmErr).toBeLessThan(coldErr);
  });

  it('tol stops early once the marginals are met', () => {
    const r = warmSinkhorn(x, y, a, b, D, {
      blur: BLUR,
      reach: REACH,
      f: ref.f,
      g: ref.g,
      steps: 1000,
      tol: 1e-6,
    });
    expect(r.marginalError).toBeLessThan(1e-6);
    expect(maxDiff(r.g, ref.g)).toBeLessThan(1e-9);
  });

  it('bad potentials or step counts are LazyTensorErrors', () => {
    const o = { blur: BLUR, f: new Float64Array(N - 1), g: new Float64Array(M), steps: 2 };
    expect(() => warmSinkhorn(x, y, a, b, D, o)).toThrow(LazyTensorError);
    expect(() => warmSinkhorn(x, y, a, b, D, { ...o, f: new Float64Array(N), steps: 0 })).toThrow(/steps/);
  });
});
