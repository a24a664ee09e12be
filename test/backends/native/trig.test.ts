/**
 * Native float32 trigonometry against Math.sin / cos / atan / asin / acos rounded to float, across the
 * domain: magnitudes 1e-38 .. 3.4e38 of both signs, the floats nearest to multiples of pi/2 (where
 * an argument reduction cancels most), a dense sweep of [-20, 20], zeros, infinities and NaN.
 * Atan2 on pairs of those. All are the prelude's vectorisable versions evaluated in double (`lt::atan_`; `lt::sin_`
 * and `lt::cos_` with a branch-free, table-free reduction exact for every float). Within 1 float
 * ulp everywhere.
 */
import { describe, expect, it } from 'vitest';
import { generateUnit } from '../../../src/backends/native/codegen.js';
import { type NativeKernel, nativeBackend } from '../../../src/backends/native/index.js';
import { op, Var } from '../../../src/formula/index.js';
import { buildSpec } from '../../../src/kernel/spec.js';
import { useSharedCache } from './helpers.js';

function inputs(): Float32Array {
  const out = [0, -0, 1, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 3.4e38, -3.4e38];
  for (let e = -38; e <= 38.5; e += 0.071) out.push(10 ** e, -(10 ** e));
  for (let k = 1; k < 2e6; k = Math.ceil(k * 1.07)) {
    const v = Math.fround((k * Math.PI) / 2);
    out.push(v, -v, Math.fround(v * (1 + 2 ** -23)), Math.fround(v * (1 - 2 ** -24)));
  }
  for (let q = 0; q <= 4000; q++) out.push(-20 + q / 100);
  for (let q = 0; q <= 4000; q++) out.push(-1 + q / 2000, 1 - 2 ** -(q % 25));
  out.push(1.4e-45, -1.4e-45, 16777216, 2 ** 30, 2 ** 60, 2 ** 100);
  return Float32Array.from(out);
}

/** Distance in float32 ulps between two finite floats (counts the representable floats between). */
function ulps(a: number, b: number): number {
  const f = new Float32Array([a, b]);
  const [x, y] = new Int32Array(f.buffer);
  const key = (i: number) => (i < 0 ? -(i & 0x7fffffff) : i);
  return Math.abs(key(x!) - key(y!));
}

const CASES = [
  ['Sin', Math.sin],
  ['Cos', Math.cos],
  ['Atan', Math.atan],
  ['Asin', Math.asin],
  ['Acos', Math.acos],
] as const;

describe('native float32 trigonometry', () => {
  for (const [name, ref] of CASES) {
    it(`${name} is within 1 float ulp of Math.${name.toLowerCase()} across its domain`, () => {
      useSharedCache();
      const { spec } = buildSpec({
        formula: op(name, [Var(0, 1, 'i')]),
        kind: 'Sum',
        axis: 'j',
        dtype: 'float32',
      });
      const src = generateUnit([spec]).source;
      expect(src).toContain(`= lt::${name.toLowerCase()}_(`);
      expect(src).not.toMatch(/__builtin_(sin|cos|atan|asin|acos)f?\(/);
      const k = nativeBackend.compile(spec) as NativeKernel;
      k.waitReady();
      const xs = inputs();
      const out = new Float32Array(xs.length);
      k.run({ inputs: [xs], nI: xs.length, nJ: 1, out });
      expect(k.lastEngine).toBe('native');
      let worst = 0;
      for (let q = 0; q < xs.length; q++) {
        const want = Math.fround(ref(xs[q]!));
        const got = out[q]!;
        const what = `${name}(${xs[q]}) = ${got}, expected ${want}`;
        if (Number.isNaN(want)) expect(got, what).toBeNaN();
        else {
          // A sum over one column: the sign of zero is the sum's (0 + -0 = 0).
          const d = want === 0 ? Math.abs(got) / 1.4e-45 : ulps(got, want);
          expect(d, what).toBeLessThanOrEqual(1);
          worst = Math.max(worst, d);
        }
      }
      expect(xs.length).toBeGreaterThan(6000);
      expect(worst).toBeLessThanOrEqual(1);
    });
  }

  it('Atan2 is within 1 float ulp of Math.atan2 for every sign, magnitude and special value', () => {
    useSharedCache();
    const { spec } = buildSpec({
      formula: op('Atan2', [Var(0, 1, 'i'), Var(1, 1, 'i')]),
      kind: 'Sum',
      axis: 'j',
      dtype: 'float32',
    });
    const src = generateUnit([spec]).source;
    expect(src).toContain('= lt::atan2_(');
    expect(src).not.toMatch(/__builtin_atan2f?\(/);
    const base = inputs();
    const ys = Float32Array.from({ length: base.length * 3 }, (_, q) => base[q % base.length]!);
    const xs = Float32Array.from({ length: ys.length }, (_, q) => base[(q * 7919 + 13) % base.length]!);
    const k = nativeBackend.compile(spec) as NativeKernel;
    k.waitReady();
    const out = new Float32Array(xs.length);
    k.run({ inputs: [ys, xs], nI: xs.length, nJ: 1, out });
    let worst = 0;
    for (let q = 0; q < xs.length; q++) {
      const want = Math.fround(Math.atan2(ys[q]!, xs[q]!));
      const what = `Atan2(${ys[q]}, ${xs[q]}) = ${out[q]}, expected ${want}`;
      if (Number.isNaN(want)) expect(out[q], what).toBeNaN();
      else {
        const d = want === 0 ? Math.abs(out[q]!) / 1.4e-45 : ulps(out[q]!, want);
        expect(d, what).toBeLessThanOrEqual(1);
        worst = Math.max(worst, d);
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  });
});
