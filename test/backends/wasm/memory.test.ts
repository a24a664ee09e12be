import { describe, expect, it } from 'vitest';
import { Vi, Vj } from '../../../src/index.js';
import { rng, uniform } from '../../helpers/rng.js';

/**
 * A wasm kernel runs on the thread's shared memory (or a memory of its own) and keeps views of it
 * across runs: a run larger than any before grows the memory (its old views no longer cover it),
 * and later runs, small or large, must read and write through views of the new memory.
 */
describe('wasm memory across runs of growing and shrinking size', () => {
  it('matches the js backend on every run', () => {
    const r = rng(31);
    for (const [n, m] of [
      [7, 5],
      [40000, 9],
      [3, 4],
      [90000, 3],
      [11, 13],
    ] as const) {
      const X = { data: uniform(r, 3 * n, -1, 1), shape: [n, 3] };
      const Y = { data: uniform(r, 3 * m, -1, 1), shape: [m, 3] };
      const B = { data: uniform(r, 2 * m, -1, 1), shape: [m, 2] };
      const F = (backend: string) => Vi(X).sqdist(Vj(Y)).neg().exp().mul(Vj(B)).sum('j', { backend }).data;
      const want = F('js');
      const got = F('wasm');
      expect(got.length).toBe(want.length);
      let worst = 0;
      for (let t = 0; t < want.length; t++) worst = Math.max(worst, Math.abs(got[t]! - want[t]!));
      expect(worst).toBeLessThan(1e-12);
    }
  });
});
