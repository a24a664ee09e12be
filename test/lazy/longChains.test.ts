import { describe, expect, it } from 'vitest';
import { Pm, Vi, Vj } from '../../src/index.js';

/**
 * Building an expression is linear in its number of operations. Before the fix every operation
 * copied the map of bound arrays (each JS number adds a parameter), so a chain of 1e4 operations
 * took 84-166 s; 2e4 took minutes. The bound here (30 s) is ~20x what the linear build needs on
 * a loaded 2-core machine.
 */
describe('long operation chains', () => {
  it('2e4 operations with JS numbers build and reduce', { timeout: 30_000 }, () => {
    const n = 20000;
    const x = Float64Array.from([1, 2, 3]);
    let t = Vi({ data: x, shape: [3, 1] });
    let shift = 0;
    for (let k = 0; k < n; k++) {
      const c = k % 2 === 0 ? 1 : -0.5;
      t = t.add(c);
      shift += c;
    }
    expect(t.vars.size).toBe(n + 1);
    // One j-variable of 2 rows: sum over j is 2 (x_i + shift).
    const out = t.mul(Vj({ data: Float64Array.from([1, 1]), shape: [2, 1] })).sum('j', { backend: 'js' });
    expect(Array.from(out.data)).toEqual(Array.from(x, (v) => 2 * (v + shift)));
  });

  it('operands shared by many operations are bound once, with their own arrays', () => {
    const a = { data: Float64Array.from([1, 2]), shape: [2, 1] };
    const b = { data: Float64Array.from([10, 20, 30]), shape: [3, 1] };
    const x = Vi(a);
    const y = Vj(b);
    const p = Pm(2);
    let t = x.mul(p);
    for (let k = 0; k < 50; k++) t = t.add(y.mul(p)).sub(x);
    expect(t.vars.size).toBe(3);
    expect(t.vars.get(x.formula)).toBe(a);
    expect(t.vars.get(y.formula)).toBe(b);
    // t = 2x + 50 (2y - x) = 50 * 2 y - 48 x, summed over 3 values of y.
    const out = t.sum('j', { backend: 'js' });
    expect(Array.from(out.data)).toEqual([1, 2].map((v) => 100 * 60 - 48 * v * 3));
  });
});
