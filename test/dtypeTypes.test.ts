import { describe, expect, it } from 'vitest';
import { array, type NDArray, Vi, Vj } from '../src/index.js';
import { samplesLoss } from '../src/ot/index.js';

/**
 * The dtype flows through the types: float64 data give Float64Array results, float32 data give
 * Float32Array results. The assignments below are the assertions (`npm test` typechecks test/):
 * with results typed as the FloatArray union they would not compile. The runtime checks confirm
 * that the types tell the truth.
 */
describe('dtype in the types', () => {
  const x64 = array([
    [0, 0],
    [1, 0],
    [0, 1],
  ]);
  const y64 = array([
    [0.5, 0.5],
    [1, 1],
  ]);
  const x32 = array(Float32Array.from(x64.data), [3, 2]);
  const y32 = array(Float32Array.from(y64.data), [2, 2]);

  it('samplesLoss: float64 and number[][] inputs give Float64Array fields, float32 Float32Array', () => {
    const r64 = samplesLoss(x64, y64, { blur: 0.5 });
    const g: Float64Array = r64.gradX.data;
    const f: Float64Array = r64.potentials.f.data;
    const rows = samplesLoss(
      [
        [0, 0],
        [1, 0],
      ],
      [[0.5, 0.5]],
      { blur: 0.5 },
    );
    const gRows: Float64Array = rows.gradY.data;
    const v64 = samplesLoss(x64, y64, { blur: 0.5, gradients: false });
    const g64: Float64Array = v64.potentials.g.data;
    const r32 = samplesLoss(x32, y32, { blur: 0.5 });
    const g32: Float32Array = r32.gradX.data;
    // @ts-expect-error float32 inputs do not give Float64Array gradients
    const wrong: Float64Array = r32.gradX.data;
    for (const a of [g, f, gRows, g64]) expect(a).toBeInstanceOf(Float64Array);
    for (const a of [g32, wrong]) expect(a).toBeInstanceOf(Float32Array);
  });

  it('LazyTensor reductions: Vi/Vj of float64 or number[][] give Float64Array, float32 Float32Array', () => {
    const s64: NDArray<Float64Array> = Vi(x64).sqdist(Vj(y64)).sum('j');
    const rows: Float64Array = Vi([[0], [1]])
      .sub(Vj([[2]]))
      .exp()
      .logsumexp('j').data;
    const k32: Float32Array = Vi(x32).sqdist(Vj(y32)).neg().exp().reduction('Sum', 'i').eval().data;
    const kmin32: Float32Array = Vi(x32).sqdist(Vj(y32)).kmin(1, 'j').data;
    // @ts-expect-error float32 data do not give Float64Array results
    const wrong: Float64Array = Vi(x32).sqdist(Vj(y32)).sum('j').data;
    for (const a of [s64.data, rows]) expect(a).toBeInstanceOf(Float64Array);
    for (const a of [k32, kmin32, wrong]) expect(a).toBeInstanceOf(Float32Array);
  });
});
