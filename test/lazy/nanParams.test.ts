import { describe, expect, it } from 'vitest';
import { genred, LazyTensorError, Pm, Vi, Vj } from '../../src/index.js';

/**
 * Parameters (Pm, and genred's parameter arguments) must be finite in every form they can be
 * given: a number, a number[], a typed array or an NDArray; Pm and genred give the same error
 * (entry index and value). Before, only Pm(number) and Pm(number[]) checked: Pm(NDArray) and
 * every genred parameter took NaN and turned the whole result into NaN without an error.
 * Vi/Vj data is not scanned: NaN there propagates per reduction (tested with the reductions).
 */
const BAD = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
const f64 = (...v: number[]) => Float64Array.from(v);

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LazyTensorError);
    return (e as Error).message;
  }
  throw new Error('expected a LazyTensorError, nothing was thrown');
}

describe('non-finite parameters', () => {
  const x = { data: f64(0.5, -1), shape: [2, 1] };
  const y = { data: f64(1, 2, 3), shape: [3, 1] };
  const g = genred('Exp(-g * SqDist(x, y))', ['x = Vi(1)', 'y = Vj(1)', 'g = Pm(2)'], 'Sum', {
    axis: 'j',
    backend: 'js',
  });
  const g1 = genred('Exp(-g * SqDist(x, y))', ['x = Vi(1)', 'y = Vj(1)', 'g = Pm(1)'], 'Sum', {
    axis: 'j',
    backend: 'js',
  });

  for (const bad of BAD) {
    it(`${bad} is rejected by Pm and genred alike, in every form`, () => {
      const want = `entry 1 must be a finite number, got ${bad}`;
      expect(message(() => Pm([1, bad]))).toContain(want);
      expect(message(() => Pm({ data: f64(1, bad), shape: [2] }))).toContain(want);
      expect(message(() => Pm({ data: Float32Array.of(1, bad), shape: [2] }))).toContain(want);
      // Batched parameters: [B, D] with the bad value at flat entry 1.
      expect(message(() => Pm({ data: f64(1, bad, 2, 3), shape: [2, 2] }))).toContain(want);
      expect(message(() => g(x, y, [1, bad]))).toContain(want);
      expect(message(() => g(x, y, f64(1, bad)))).toContain(want);
      expect(message(() => g(x, y, { data: f64(1, bad), shape: [2] }))).toContain(want);
      expect(message(() => Pm(bad))).toContain(`entry 0 must be a finite number, got ${bad}`);
      expect(message(() => g1(x, y, bad))).toContain(`entry 0 must be a finite number, got ${bad}`);
    });
  }

  it('finite parameters in every form still work, with the same values', () => {
    const ref = Vi(x).sqdist(Vj(y)).mul(Pm(0.5)).neg().exp().sum('j', { backend: 'js' });
    const viaNd = Vi(x)
      .sqdist(Vj(y))
      .mul(Pm({ data: f64(0.5), shape: [1] }))
      .neg()
      .exp()
      .sum('j', { backend: 'js' });
    expect(Array.from(viaNd.data)).toEqual(Array.from(ref.data));
    const viaGenred = g1(x, y, 0.5) as { data: Float64Array };
    expect(Array.from(viaGenred.data)).toEqual(Array.from(ref.data));
  });

  it('NaN in Vi/Vj data is accepted (not scanned): Sum propagates it', () => {
    const out = Vi({ data: f64(Number.NaN, 1), shape: [2, 1] })
      .sqdist(Vj(y))
      .sum('j', { backend: 'js' });
    expect(out.data[0]).toBeNaN();
    expect(out.data[1]).toBe(0 + 1 + 4);
  });
});
