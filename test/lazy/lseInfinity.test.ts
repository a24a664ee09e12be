import { afterAll, describe, expect, it } from 'vitest';
import { cudaBackend } from '../../src/backends/cuda/index.js';
import { genred, registerBackend, Vi, Vj } from '../../src/index.js';
import { emulationUnavailable } from '../backends/cuda/helpers/emu.js';
import { emulatedBackend } from '../backends/cuda/helpers/run.js';
import { backendsUnderTest } from '../helpers/backends.js';

/**
 * LogSumExp over values of +inf is +inf (log Σ exp(+inf) = +inf), not NaN: the running sum
 * meets exp(inf - inf) = NaN when a second +inf arrives, and the row's result must not show it.
 * On every CPU backend and the CPU emulation of the cuda backend, dense and threaded sizes.
 */
const skipCuda = emulationUnavailable();
const emu = skipCuda ? undefined : emulatedBackend({ scheme: '1d' });
if (emu) registerBackend(emu.backend);
afterAll(() => registerBackend(cudaBackend));

const BACKENDS = [...backendsUnderTest(), ...(emu ? ['cuda'] : [])];
const INF = Number.POSITIVE_INFINITY;

for (const backend of BACKENDS) {
  describe(`LogSumExp with +inf values on ${backend}`, () => {
    for (const dtype of [Float64Array, Float32Array]) {
      it(`${dtype.name}: rows with several +inf give +inf; -inf, NaN and finite rows as before`, () => {
        const o = { backend };
        const x = Vi({ data: dtype.from([INF, 1, -INF, Number.NaN]), shape: [4, 1] });
        const y = Vj({ data: dtype.from([1, 2, 3]), shape: [3, 1] });
        const rows = Array.from(x.add(y).logsumexp('j', o).data);
        expect(rows[0]).toBe(INF);
        expect(rows[1]).toBeCloseTo(Math.log(Math.exp(2) + Math.exp(3) + Math.exp(4)), 5);
        expect(rows[2]).toBe(-INF);
        expect(rows[3]).toBe(-INF);
        // Over i: every column sees one +inf (and a -inf and a NaN).
        expect(Array.from(x.add(y).logsumexp('i', o).data)).toEqual([INF, INF, INF]);
      });
    }

    it('many +inf values across threads and tiles, and through genred', () => {
      const n = 300;
      const m = 2000;
      const xs = new Float64Array(n).map((_, i) => (i % 3 === 0 ? INF : i / n));
      const ys = new Float64Array(m).map((_, j) => (j % 7 === 0 ? INF : -j / m));
      const x = Vi({ data: xs, shape: [n, 1] });
      const y = Vj({ data: ys, shape: [m, 1] });
      const lse = x.mul(y.exp()).logsumexp('j', { backend }).data;
      const g = genred('x * Exp(y)', ['x = Vi(1)', 'y = Vj(1)'], 'LogSumExp', { axis: 1, backend });
      const viaGenred = g({ data: xs, shape: [n, 1] }, { data: ys, shape: [m, 1] }).data;
      // Every x_i > 0 and every row meets about m/7 values x_i * exp(+inf) = +inf.
      for (const out of [lse, viaGenred]) {
        for (let i = 0; i < n; i++) expect(out[i], `row ${i}`).toBe(INF);
      }
    });
  });
}
