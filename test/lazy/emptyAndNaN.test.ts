import { afterAll, describe, expect, it } from 'vitest';
import { cudaBackend } from '../../src/backends/cuda/index.js';
import { genred, LazyTensorError, rangesFromMask, registerBackend, Vi, Vj } from '../../src/index.js';
import { emulationUnavailable } from '../backends/cuda/helpers/emu.js';
import { emulatedBackend } from '../backends/cuda/helpers/run.js';
import { backendsUnderTest } from '../helpers/backends.js';

/**
 * Reductions over an empty set and over rows whose values are all NaN, on every CPU backend and
 * on the CPU emulation of the cuda backend. Empty set: Sum 0, LogSumExp −inf, Min +inf, Max −inf;
 * the reductions whose result does not exist (arg forms, softmax-weighted averages, K-min) throw.
 * NaN values never win a Min/Max/arg/K-min selection and contribute nothing to LogSumExp and
 * SumSoftMaxWeight; a row with no other value behaves as an empty row (index −1, ±inf, −inf,
 * NaN = 0/0 for the softmax average). Sum propagates NaN.
 */
const skipCuda = emulationUnavailable();
if (skipCuda) console.warn(`[lazytensor] empty/NaN reductions on the cuda emulation SKIPPED: ${skipCuda}`);
const emu = skipCuda ? undefined : emulatedBackend({ scheme: '1d' });
if (emu) registerBackend(emu.backend);
afterAll(() => registerBackend(cudaBackend));

const BACKENDS = [...backendsUnderTest(), ...(emu ? ['cuda'] : [])];
const INF = Number.POSITIVE_INFINITY;

function throwsEmpty(f: () => unknown, kind: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `${kind} over an empty set`).toBeInstanceOf(LazyTensorError);
  expect((err as Error).message).toMatch(new RegExp(`${kind} over [ij]: the reduced size is 0`));
}

for (const backend of BACKENDS) {
  describe(`empty reduced set on ${backend}`, () => {
    const o = { backend };
    const x = Vi({ data: new Float64Array([0, 1, 2]), shape: [3, 1] });
    const y0 = Vj({ data: new Float64Array(0), shape: [0, 1] });
    const F = x.sub(y0);

    it('Sum 0, LogSumExp −inf, Min +inf, Max −inf (the identities)', () => {
      expect(Array.from(F.sum('j', o).data)).toEqual([0, 0, 0]);
      expect(Array.from(F.logsumexp('j', o).data)).toEqual([-INF, -INF, -INF]);
      expect(Array.from(F.logsumexp('j', { ...o, weight: y0 }).data)).toEqual([-INF, -INF, -INF]);
      expect(Array.from(F.min('j', o).data)).toEqual([INF, INF, INF]);
      expect(Array.from(F.max('j', o).data)).toEqual([-INF, -INF, -INF]);
    });

    it('arg reductions and SumSoftMaxWeight are errors (their result does not exist)', () => {
      throwsEmpty(() => F.argmin('j', o), 'ArgMin');
      throwsEmpty(() => F.argmax('j', o), 'ArgMax');
      throwsEmpty(() => F.minArgmin('j', o), 'Min_ArgMin');
      throwsEmpty(() => F.maxArgmax('j', o), 'Max_ArgMax');
      throwsEmpty(() => F.sumSoftmaxWeight(y0, 'j', o), 'SumSoftMaxWeight');
      // Over i, with N = 0 rows.
      const x0 = Vi({ data: new Float64Array(0), shape: [0, 1] });
      const y = Vj({ data: new Float64Array([0, 1]), shape: [2, 1] });
      throwsEmpty(() => x0.sub(y).argmin('i', o), 'ArgMin');
      throwsEmpty(() => x0.sub(y).sumSoftmaxWeight(x0, 'i', o), 'SumSoftMaxWeight');
      // Through a formula string.
      const g = genred('x-y', ['x = Vi(1)', 'y = Vj(1)'], 'ArgMin', { axis: 1, backend });
      const one = { data: new Float64Array([0]), shape: [1, 1] };
      throwsEmpty(() => g(one, { data: new Float64Array(0), shape: [0, 1] }), 'ArgMin');
    });
  });

  describe(`rows of NaN on ${backend}`, () => {
    const o = { backend };
    // F_ij = x_i · y_j: row 0 is all NaN, rows 1 and 2 have a NaN at j = 1.
    const x = Vi({ data: new Float64Array([Number.NaN, 1, -1]), shape: [3, 1] });
    const yv = new Float64Array([2, Number.NaN, -3, 0.5]);
    const y = Vj({ data: yv, shape: [4, 1] });
    const F = x.mul(y);

    it('Min/Max/arg/K-min skip NaN; an all-NaN row gives ±inf and index −1', () => {
      expect(Array.from(F.min('j', o).data)).toEqual([INF, -3, -2]);
      expect(Array.from(F.max('j', o).data)).toEqual([-INF, 2, 3]);
      expect(Array.from(F.argmin('j', o).data)).toEqual([-1, 2, 0]);
      expect(Array.from(F.argmax('j', o).data)).toEqual([-1, 0, 2]);
      const mi = F.minArgmin('j', o);
      expect(Array.from(mi.values.data)).toEqual([INF, -3, -2]);
      expect(Array.from(mi.indices.data)).toEqual([-1, 2, 0]);
      expect(Array.from(F.argKmin(2, 'j', o).data)).toEqual([-1, -1, 2, 3, 0, 3]);
      expect(Array.from(F.kmin(2, 'j', o).data)).toEqual([INF, INF, -3, 0.5, -2, -0.5]);
    });

    it('LogSumExp and SumSoftMaxWeight skip NaN: −inf and NaN (0/0) on an all-NaN row; Sum propagates NaN', () => {
      const lse = Array.from(F.logsumexp('j', o).data);
      expect(lse[0]).toBe(-INF);
      expect(lse[1]).toBeCloseTo(Math.log(Math.exp(2) + Math.exp(-3) + Math.exp(0.5)), 14);
      expect(lse[2]).toBeCloseTo(Math.log(Math.exp(-2) + Math.exp(3) + Math.exp(-0.5)), 14);
      const w = Vj({ data: new Float64Array([1, 2, 3, 4]), shape: [4, 1] });
      const ssw = Array.from(F.sumSoftmaxWeight(w, 'j', o).data);
      expect(ssw[0]).toBeNaN();
      const e = [Math.exp(2), Math.exp(-3), Math.exp(0.5)];
      expect(ssw[1]).toBeCloseTo((e[0]! * 1 + e[1]! * 3 + e[2]! * 4) / (e[0]! + e[1]! + e[2]!), 14);
      for (const v of F.sum('j', o).data) expect(v).toBeNaN();
    });
  });

  describe(`rows whose ranges visit no column on ${backend}`, () => {
    it('get the empty-set values: Sum 0, LogSumExp −inf, Min +inf, index −1, softmax average NaN (0/0)', () => {
      const x = Vi({ data: new Float64Array([0, 1, 2, 3]), shape: [4, 1] });
      const y = Vj({ data: new Float64Array([0.5, 1.5, 2.5]), shape: [3, 1] });
      // Row clusters [0, 2) and [2, 4), column clusters [0, 1) and [1, 3): rows 2, 3 visit nothing.
      const ranges = rangesFromMask(new Int32Array([0, 2, 2, 4]), new Int32Array([0, 1, 1, 3]), [1, 1, 0, 0]);
      const o = { backend, ranges };
      const F = x.sub(y).abs();
      expect(Array.from(F.sum('j', o).data)).toEqual([4.5, 2.5, 0, 0]);
      expect(Array.from(F.min('j', o).data)).toEqual([0.5, 0.5, INF, INF]);
      expect(Array.from(F.argmin('j', o).data)).toEqual([0, 0, -1, -1]);
      expect(Array.from(F.logsumexp('j', o).data).slice(2)).toEqual([-INF, -INF]);
      const ssw = Array.from(F.sumSoftmaxWeight(y, 'j', o).data);
      expect(Number.isFinite(ssw[0])).toBe(true);
      expect(ssw[2]).toBeNaN();
      expect(ssw[3]).toBeNaN();
    });
  });
}
