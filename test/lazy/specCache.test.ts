import { describe, expect, it } from 'vitest';
import { Pm, Vi, Vj } from '../../src/index.js';
import { buildSpec } from '../../src/kernel/spec.js';
import { rng, uniform } from '../helpers/rng.js';

/**
 * Solver loops build a fresh LazyTensor per step (fresh variable numbers, same formula shape).
 * They must share one KernelSpec (and so one compiled kernel), and sharing must never mix up
 * slots, dtypes, axes or reductions.
 */
describe('spec cache across requests that differ only by variable numbering', () => {
  const gaussian = () => {
    const x = Vi({ data: new Float64Array(6), shape: [3, 2] });
    const y = Vj({ data: new Float64Array(8), shape: [4, 2] });
    const h = Vj({ data: new Float64Array(4), shape: [4, 1] });
    return { x, y, h, F: h.sub(x.sqdist(y).mul(Pm(0.5))) };
  };

  it("returns the same spec object, with each request's own slot variables", () => {
    const a = gaussian();
    const b = gaussian();
    expect(a.F.formula).not.toBe(b.F.formula);
    const req = { kind: 'LogSumExp', axis: 'j', dtype: 'float64' } as const;
    const sa = buildSpec({ ...req, formula: a.F.formula });
    const sb = buildSpec({ ...req, formula: b.F.formula });
    expect(sb.spec).toBe(sa.spec);
    expect(sa.slotVars).toEqual([a.h.formula, a.x.formula, a.y.formula, [...a.F.vars.keys()][3]]);
    expect(sb.slotVars[0]).toBe(b.h.formula);
    expect(sb.slotVars[1]).toBe(b.x.formula);
  });

  it('keeps distinct specs for another dtype, axis, reduction or accumulator', () => {
    const { F } = gaussian();
    const base = { formula: F.formula, kind: 'LogSumExp', axis: 'j', dtype: 'float64' } as const;
    const specs = [
      buildSpec(base).spec,
      buildSpec({ ...base, dtype: 'float32' }).spec,
      buildSpec({ ...base, axis: 'i' }).spec,
      buildSpec({ ...base, kind: 'Sum' }).spec,
      buildSpec({ ...base, kind: 'Sum', accumulator: 'kahan' }).spec,
    ];
    expect(new Set(specs).size).toBe(specs.length);
    expect(new Set(specs.map((s) => s.key)).size).toBe(specs.length);
  });

  it('a loop of fresh LazyTensors with changing data matches a dense reference every step', () => {
    const r = rng(8);
    const n = 5;
    const m = 7;
    const X = uniform(r, n * 3, -1, 1);
    const Y = uniform(r, m * 3, -1, 1);
    for (let step = 0; step < 4; step++) {
      const h = uniform(r, m, -2, 2);
      const s = 0.5 + step;
      // Operands in a different order on odd steps: same data, differently numbered variables.
      const x = Vi({ data: X, shape: [n, 3] });
      const hv = Vj({ data: h, shape: [m, 1] });
      const y = Vj({ data: Y, shape: [m, 3] });
      const F = step % 2 ? hv.sub(x.sqdist(y).mul(s)) : hv.sub(y.sqdist(x).mul(s));
      const out = F.logsumexp('j', { backend: 'js' }).data;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let j = 0; j < m; j++) {
          let d2 = 0;
          for (let k = 0; k < 3; k++) d2 += (X[i * 3 + k]! - Y[j * 3 + k]!) ** 2;
          acc += Math.exp(h[j]! - s * d2);
        }
        expect(out[i]).toBeCloseTo(Math.log(acc), 12);
      }
    }
  });
});
