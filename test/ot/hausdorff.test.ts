import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { samplesLoss } from '../../src/ot/index.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { expectClose } from '../helpers/check.js';
import { cloud, expectFiniteDiffGradients, nd, refHausdorff, rng, weights } from './reference.js';

describe('Hausdorff divergence (Feydy et al. 2019)', () => {
  const r = rng(41);
  const n = 7;
  const m = 6;
  const d = 2;
  const x = cloud(r, n, d);
  const y = cloud(r, m, d, 0.3);
  const a = weights(r, n);
  const b = weights(r, m, 1.2);

  for (const o of [
    { p: 2, blur: 0.1, scaling: 0.5, diameter: 1.5 },
    { p: 1, blur: 0.1, scaling: 0.7, diameter: 1.5, reach: 0.5 },
  ]) {
    it(`value against a dense reference, tensorized = online (${JSON.stringify(o)})`, () => {
      const ref = refHausdorff(x, y, a, b, d, o);
      for (const backend of ['tensorized', 'online'] as const) {
        const res = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { loss: 'hausdorff', ...o, a, b, backend });
        expect(Math.abs((res.value as number) - ref)).toBeLessThan(1e-13);
      }
    });
  }

  it('H(α, α) = 0, H > 0 and symmetric', () => {
    const same = samplesLoss(nd(x, [n, d]), nd(x.slice(), [n, d]), { loss: 'hausdorff', a, b: a.slice() });
    expect(Math.abs(same.value as number)).toBeLessThan(1e-15);
    const h1 = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { loss: 'hausdorff', a, b }).value as number;
    const h2 = samplesLoss(nd(y, [m, d]), nd(x, [n, d]), { loss: 'hausdorff', a: b, b: a }).value as number;
    expect(h1).toBeGreaterThan(1e-3);
    expect(Math.abs(h1 - h2)).toBeLessThan(1e-15);
  });

  const conv = { blur: 0.3, diameter: 0.30001, scaling: 0.9999995 };
  for (const c of [{ p: 2 }, { p: 1 }, { p: 2, reach: 0.5 }]) {
    it(`gradients against central finite differences ${JSON.stringify(c)}`, () => {
      const o = { loss: 'hausdorff' as const, ...conv, ...c, backend: 'tensorized' as const };
      const val = (X: Float64Array, Y: Float64Array, A: Float64Array, B: Float64Array) =>
        samplesLoss(nd(X, [n, d]), nd(Y, [m, d]), { ...o, a: A, b: B, gradients: false }).value as number;
      const res = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...o, a, b });
      const tol = 2e-6;
      expectFiniteDiffGradients({ x, y, a, b, val, res }, ['x', 'y', 'a', 'b'], tol);
    });
  }
});

describe('Hausdorff gradients in float32', () => {
  // Measured worst errors: below 1e-5 of the gradient scale and 1e-7 relative on the value.
  // The adjoint solve of the gradient runs on reductions in the data's dtype: it must stop at a
  // residual float32 can reach, and give the float64 gradients to float32 accuracy.
  for (const compute of backendsUnderTest()) {
    for (const N of [20, 100, 300]) {
      it(`N = ${N} on ${compute}: float32 value and gradients match float64`, () => {
        const r = rng(100 + N);
        const x = cloud(r, N, 2);
        const y = cloud(r, N, 2, 0.3);
        const o = { loss: 'hausdorff' as const, compute };
        const ref = samplesLoss(nd(x, [N, 2]), nd(y, [N, 2]), o);
        const f32 = (v: Float64Array) => ({ data: Float32Array.from(v), shape: [N, 2] });
        const res = samplesLoss(f32(x), f32(y), o);
        expect(res.gradX.data).toBeInstanceOf(Float32Array);
        const scale = (g: ArrayLike<number>) => Math.max(...Array.from(g, Math.abs));
        expectClose([res.value as number], [ref.value as number], 1e-5, 0, 'value');
        for (const k of ['gradX', 'gradY', 'gradA', 'gradB'] as const) {
          expectClose(res[k].data, ref[k].data, 0, 1e-4 * scale(ref[k].data), k);
        }
      });
    }
  }
});

describe('Hausdorff gradients out of the dtype range', () => {
  // The gradient evaluates exp(f/ε + g/ε − C/ε) with terms up to extent^p/(p·ε), rounded in the
  // data's dtype: far beyond HAUSDORFF_EXPONENT_ROUNDING they were NaN (or finite garbage).
  const X = [0, 0, 1, 0, 0, 1, 1, 1];
  const Y = [0.2, 0.1, 0.9, 0.3, 0.4, 0.8];
  const cases = [
    ['float32, blur 1e-6', true, 1, { blur: 1e-6 }],
    ['float64, coordinates 1e20, blur 0.05', false, 1e20, {}],
    ['float64, coordinates 1e20, reach', false, 1e20, { reach: 0.3 }],
  ] as const;
  const arr = (v: number[], s: number, f32: boolean) => {
    const t = v.map((c) => c * s);
    return f32 ? Float32Array.from(t) : Float64Array.from(t);
  };
  for (const [name, f32, s, o] of cases) {
    it(`${name}: a LazyTensorError with gradients, a finite value without`, () => {
      const x = { data: arr(X, s, f32), shape: [4, 2] };
      const y = { data: arr(Y, s, f32), shape: [3, 2] };
      const opts = { loss: 'hausdorff' as const, ...o };
      expect(() => samplesLoss(x, y, opts)).toThrow(LazyTensorError);
      expect(() => samplesLoss(x, y, opts)).toThrow(/cannot compute gradients at blur .* gradients: false/);
      const v = samplesLoss(x, y, { ...opts, gradients: false });
      const ref = samplesLoss(
        nd(
          Float64Array.from(X, (t) => t * s),
          [4, 2],
        ),
        nd(
          Float64Array.from(Y, (t) => t * s),
          [3, 2],
        ),
        {
          ...opts,
          gradients: false,
        },
      );
      expect(Math.abs((v.value as number) - (ref.value as number))).toBeLessThanOrEqual(
        1e-6 * (ref.value as number),
      );
    });
  }
});

describe('Hausdorff gradients near the float64 rounding limit', () => {
  const x = nd(Float64Array.from([0, 0, 1, 0, 0, 1]), [3, 2]);
  const y = nd(Float64Array.from([0.5, 0.5, 1, 1, 0.2, 0.9]), [3, 2]);
  it('are accurate while allowed (blur 1e-7 against the blur → 0 limit) and an error beyond (blur 1e-8)', () => {
    // Reference: at blur 1e-6 the gradients have reached their limit (equal to 1e-5 at 1e-4 and 1e-6).
    const limit = samplesLoss(x, y, { loss: 'hausdorff', blur: 1e-6 });
    const near = samplesLoss(x, y, { loss: 'hausdorff', blur: 1e-7 });
    expectClose(near.gradX.data, limit.gradX.data, 0, 1e-2 * 0.2, 'gradX');
    expectClose(near.gradY.data, limit.gradY.data, 0, 1e-2 * 0.2, 'gradY');
    // At blur 1e-8 they were finite and up to 36% off (0.124 for 0.194).
    expect(() => samplesLoss(x, y, { loss: 'hausdorff', blur: 1e-8 })).toThrow(/cannot compute gradients/);
  });
});

describe('Hausdorff with zero weights', () => {
  const X = [0, 0, 1, 0, 0.02, 0.01, 0.98, 0.01];
  const Y = [0.2, 0.1, 0.9, 0.3, 0.4, 0.8];
  const y = nd(Float64Array.from(Y), [3, 2]);
  it('points of zero weight change nothing: the result is that of the cloud without them', () => {
    // Reference: the same loss on the cloud without them (zero-weight points near the mass).
    for (const o of [{ blur: 0.01 }, { blur: 0.01, reach: 0.3 }]) {
      const opts = { loss: 'hausdorff' as const, ...o };
      const full = samplesLoss(nd(Float64Array.from(X), [4, 2]), y, { ...opts, a: [0.5, 0.5, 0, 0] });
      const kept = samplesLoss(nd(Float64Array.from(X.slice(0, 4)), [2, 2]), y, { ...opts, a: [0.5, 0.5] });
      expectClose([full.value as number], [kept.value as number], 1e-12, 0, 'value');
      expectClose(full.gradX.data.slice(0, 4), kept.gradX.data, 0, 1e-12, 'gradX');
      expectClose(full.gradX.data.slice(4), [0, 0, 0, 0], 0, 0, 'gradX of the zero weights');
      expectClose(full.gradY.data, kept.gradY.data, 0, 1e-12, 'gradY');
      expectClose(full.gradA.data.slice(0, 2), kept.gradA.data, 0, 1e-12, 'gradA');
      for (const v of full.gradA.data) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('a zero weight far from the mass: its weight derivative overflows, a LazyTensorError that says so', () => {
    // Was "the adjoint solve of the gradient did not converge: relative residual NaN" (0·∞ on its row).
    const far = nd(Float64Array.from([0, 0, 1, 0, 0, 1, 1, 1]), [4, 2]);
    const call = () => samplesLoss(far, y, { loss: 'hausdorff', blur: 0.01, a: [0.5, 0.5, 0, 0] });
    expect(call).toThrow(LazyTensorError);
    expect(call).toThrow(/derivative with respect to the weight a\[2\] = 0 overflows float64/);
    const v = samplesLoss(far, y, { loss: 'hausdorff', blur: 0.01, a: [0.5, 0.5, 0, 0], gradients: false });
    expect(Number.isFinite(v.value as number)).toBe(true);
  });
});
