import { describe, expect, it } from 'vitest';
import { samplesLoss } from '../../src/ot/index.js';
import { cloud, expectFiniteDiffGradients, nd, refKernelLoss, relErr, rng, weights } from './reference.js';

describe('kernel losses', () => {
  const r = rng(11);
  const n = 9;
  const m = 7;
  const d = 3;
  const x = cloud(r, n, d);
  const y = cloud(r, m, d, 0.2);
  const a = weights(r, n, 1.3); // unequal masses are fine for kernel losses
  const b = weights(r, m);
  for (const loss of ['energy', 'gaussian', 'laplacian'] as const) {
    it(`${loss}: value against a dense reference, gradients against finite differences`, () => {
      const blur = 0.4;
      const res = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { loss, blur, a, b });
      const ref = refKernelLoss(loss, x, y, a, b, d, blur);
      expect(Math.abs((res.value as number) - ref)).toBeLessThan(1e-13 * Math.max(1, Math.abs(ref)));
      const val = (X: Float64Array, Y: Float64Array, A: Float64Array, B: Float64Array) =>
        refKernelLoss(loss, X, Y, A, B, d, blur);
      expectFiniteDiffGradients({ x, y, a, b, val, res }, ['x', 'y', 'a', 'b'], 1e-7);
    });
  }

  it('is zero between identical measures and positive otherwise (gaussian)', () => {
    const same = samplesLoss(nd(x, [n, d]), nd(x.slice(), [n, d]), { loss: 'gaussian', blur: 0.3 });
    expect(Math.abs(same.value as number)).toBeLessThan(1e-15);
    const diff = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { loss: 'gaussian', blur: 0.3 });
    expect(diff.value as number).toBeGreaterThan(1e-4);
  });

  it('handles batches: each batch equals its own unbatched loss', () => {
    const B = 3;
    const xb = cloud(r, B * n, d);
    const yb = cloud(r, B * m, d, 0.1);
    const res = samplesLoss(nd(xb, [B, n, d]), nd(yb, [B, m, d]), { loss: 'laplacian', blur: 0.5 });
    const vals = res.value as Float64Array;
    expect(vals.length).toBe(B);
    for (let t = 0; t < B; t++) {
      const one = samplesLoss(
        nd(xb.slice(t * n * d, (t + 1) * n * d), [n, d]),
        nd(yb.slice(t * m * d, (t + 1) * m * d), [m, d]),
        {
          loss: 'laplacian',
          blur: 0.5,
        },
      );
      expect(Math.abs(vals[t]! - (one.value as number))).toBeLessThan(1e-14);
      expect(relErr(res.gradX.data.slice(t * n * d, (t + 1) * n * d), one.gradX.data)).toBeLessThan(1e-12);
    }
  });
});
