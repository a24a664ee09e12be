import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { samplesLoss } from '../../src/ot/index.js';
import { cloud, nd, relErr, rng, weights } from './reference.js';

describe("backend 'multiscale' on batches [B, N, D]", () => {
  it('equals one multiscale call per batch element (values, potentials, gradients) and the batched online solve', () => {
    const r = rng(77);
    const B = 3;
    const n = 150;
    const m = 120;
    const d = 2;
    const x = cloud(r, B * n, d);
    const y = cloud(r, B * m, d, 0.2);
    const a = new Float64Array(B * n);
    const b = new Float64Array(B * m);
    for (let t = 0; t < B; t++) {
      a.set(weights(r, n), t * n);
      b.set(weights(r, m), t * m);
    }
    const opts = { blur: 0.05, scaling: 0.7, tol: 1e-6, clusterScale: 0.2 };
    const ms = samplesLoss(nd(x, [B, n, d]), nd(y, [B, m, d]), {
      ...opts,
      a: nd(a, [B, n]),
      b: nd(b, [B, m]),
      backend: 'multiscale',
    });
    expect(ms.gradX.shape).toEqual([B, n, d]);
    expect(ms.gradB.shape).toEqual([B, m]);
    expect(ms.potentials.f.shape).toEqual([B, n]);
    expect((ms.value as Float64Array).length).toBe(B);
    for (let t = 0; t < B; t++) {
      const one = samplesLoss(
        nd(x.slice(t * n * d, (t + 1) * n * d), [n, d]),
        nd(y.slice(t * m * d, (t + 1) * m * d), [m, d]),
        {
          ...opts,
          a: a.slice(t * n, (t + 1) * n),
          b: b.slice(t * m, (t + 1) * m),
          backend: 'multiscale',
        },
      );
      expect((ms.value as Float64Array)[t]).toBe(one.value);
      expect(Array.from(ms.gradX.data.subarray(t * n * d, (t + 1) * n * d))).toEqual(
        Array.from(one.gradX.data),
      );
      expect(Array.from(ms.gradY.data.subarray(t * m * d, (t + 1) * m * d))).toEqual(
        Array.from(one.gradY.data),
      );
      expect(Array.from(ms.gradA.data.subarray(t * n, (t + 1) * n))).toEqual(Array.from(one.gradA.data));
      expect(Array.from(ms.gradB.data.subarray(t * m, (t + 1) * m))).toEqual(Array.from(one.gradB.data));
      expect(Array.from(ms.potentials.g.data.subarray(t * m, (t + 1) * m))).toEqual(
        Array.from(one.potentials.g.data),
      );
    }
    const on = samplesLoss(nd(x, [B, n, d]), nd(y, [B, m, d]), {
      ...opts,
      a: nd(a, [B, n]),
      b: nd(b, [B, m]),
      backend: 'online',
    });
    for (let t = 0; t < B; t++) {
      const v = (on.value as Float64Array)[t]!;
      expect(Math.abs((ms.value as Float64Array)[t]! - v)).toBeLessThan(1e-3 * Math.abs(v));
    }
    expect(relErr(ms.gradX.data, on.gradX.data)).toBeLessThan(2e-2);
    expect(relErr(ms.gradY.data, on.gradY.data)).toBeLessThan(2e-2);
    expect(ms.convergence!.marginalError).toBeLessThanOrEqual(1e-6);
  });

  it('bad input in a batch: labels of the wrong length, unequal masses of balanced OT', () => {
    const r = rng(6);
    const x = nd(cloud(r, 40, 2), [2, 20, 2]);
    const y = nd(cloud(r, 30, 2), [2, 15, 2]);
    expect(() => samplesLoss(x, y, { backend: 'multiscale', labelsX: new Int32Array(40) })).toThrow(
      /labelsX must have 20 labels/,
    );
    const b = new Float64Array(30).fill(1 / 15);
    b[20] = 0.5;
    expect(() => samplesLoss(x, y, { backend: 'multiscale', b: nd(b, [2, 15]) })).toThrow(LazyTensorError);
  });
});
