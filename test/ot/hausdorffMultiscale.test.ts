import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { samplesLoss } from '../../src/ot/index.js';
import { cloud, nd, relErr, rng, weights } from './reference.js';

describe("Hausdorff with backend 'multiscale'", () => {
  const cases: [number, number | undefined][] = [
    [2, undefined],
    [3, 0.5],
  ];
  for (const [d, reach] of cases) {
    it(`equals online when both are converged: D = ${d}, reach ${reach}`, () => {
      const r = rng(51 + d);
      const n = 300;
      const m = 250;
      const x = cloud(r, n, d);
      const y = cloud(r, m, d, 0.2);
      const a = weights(r, n);
      const b = weights(r, m);
      const blur = 0.05;
      const common = { loss: 'hausdorff' as const, a, b, blur, reach, compute: 'js' };
      // Online converged: 400 averaged steps at ε = blur² (the symmetric fixed point is unique).
      const on = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), {
        ...common,
        backend: 'online',
        diameter: blur * (1 + 1e-6),
        scaling: 1 - 2.5e-9,
      });
      const ms = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), {
        ...common,
        backend: 'multiscale',
        clusterScale: 0.1,
        tol: 1e-9,
      });
      expect(ms.backend).toBe('multiscale');
      const levels = ms.convergence!.levels;
      expect(levels.length).toBe(2);
      expect(levels[1]!.pairsVisited).toBeLessThan(1);
      expect(ms.convergence!.marginalError).toBeLessThanOrEqual(1e-9);
      const v = on.value as number;
      expect(Math.abs((ms.value as number) - v)).toBeLessThan(1e-7 * Math.abs(v));
      // (GeomLoss' default schedule, online, differs from `on` by 2e-3 to 2e-2 here.)
      // Potentials and gradients in the user's order.
      expect(relErr(ms.potentials.f.data, on.potentials.f.data)).toBeLessThan(1e-7);
      expect(relErr(ms.potentials.g.data, on.potentials.g.data)).toBeLessThan(1e-7);
      expect(relErr(ms.gradX.data, on.gradX.data)).toBeLessThan(1e-6);
      expect(relErr(ms.gradY.data, on.gradY.data)).toBeLessThan(1e-6);
      expect(relErr(ms.gradA.data, on.gradA.data)).toBeLessThan(1e-6);
      expect(relErr(ms.gradB.data, on.gradB.data)).toBeLessThan(1e-6);
    });
  }
});

describe("Hausdorff with backend 'multiscale': limits", () => {
  it('balanced Hausdorff with unequal masses is a LazyTensorError (the multiscale loop runs the cross problem)', () => {
    const r = rng(57);
    const x = cloud(r, 40, 2);
    const y = cloud(r, 30, 2);
    const run = () =>
      samplesLoss(nd(x, [40, 2]), nd(y, [30, 2]), {
        loss: 'hausdorff',
        backend: 'multiscale',
        a: weights(r, 40),
        b: weights(r, 30, 2),
        tol: 1e-6,
      });
    expect(run).toThrow(LazyTensorError);
    expect(run).toThrow(/equal total masses/);
  });
});
