import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { samplesLoss } from '../../src/ot/index.js';
import { cloud, relErr, rng } from './reference.js';

const nd = (data: Float64Array, shape: number[]) => ({ data, shape });

describe("backend 'multiscale' (two levels, truncated kernel)", () => {
  const cases: [number, number | undefined, boolean][] = [
    [2, undefined, false],
    [3, 0.5, false],
    [5, undefined, true],
  ];
  for (const [d, reach, labels] of cases) {
    it(`equals online when both are converged with tol: D = ${d}, reach ${reach}, ${labels ? 'user labels' : 'grid'}`, () => {
      const r = rng(11 + d);
      const n = 300;
      const m = 250;
      const x = cloud(r, n, d);
      const y = cloud(r, m, d, 0.2);
      const opts = { blur: 0.1, reach, tol: 1e-7 };
      const extra = labels
        ? {
            labelsX: Int32Array.from({ length: n }, (_, i) => Math.floor(x[i * d]! * 4)),
            labelsY: Int32Array.from({ length: m }, (_, j) => Math.floor(y[j * d]! * 4)),
          }
        : { clusterScale: 0.25 };
      const on = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...opts, backend: 'online' });
      const ms = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...opts, ...extra, backend: 'multiscale' });
      expect(Math.abs((ms.value as number) - (on.value as number))).toBeLessThan(
        1e-3 * Math.abs(on.value as number),
      );
      expect(relErr(ms.gradX.data, on.gradX.data)).toBeLessThan(2e-2);
      expect(relErr(ms.gradY.data, on.gradY.data)).toBeLessThan(2e-2);
      const levels = ms.convergence!.levels;
      expect(levels.length).toBe(2);
      expect(levels[1]!.points).toEqual([n, m]);
      expect(ms.convergence!.marginalError).toBeLessThanOrEqual(1e-7);
    });
  }

  it('bad input: labels of the wrong length, truncate ≤ 0, negative masses', () => {
    const r = rng(5);
    const x = nd(cloud(r, 20, 2), [20, 2]);
    const y = nd(cloud(r, 20, 2), [20, 2]);
    const bad = [
      () => samplesLoss(x, y, { backend: 'multiscale', labelsX: new Int32Array(3) }),
      () => samplesLoss(x, y, { backend: 'multiscale', truncate: 0 }),
      () => samplesLoss(x, y, { backend: 'multiscale', a: new Float64Array(20).fill(-0.05) }),
    ];
    for (const f of bad) expect(f).toThrow(LazyTensorError);
    expect(bad[0]).toThrow(/labelsX must have 20 labels/);
  });
});
