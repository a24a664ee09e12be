/**
 * Powf with a compile-time integer or half-integer exponent (Pow / PowHalf: multiplications and one
 * sqrt) against C's pow in float64, on the native backend in float32 and float64 and on the JS
 * backend: both signs, magnitudes across the whole range, zeros, infinities, NaN.
 */
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../../src/backends/js/index.js';
import { type NativeKernel, nativeBackend } from '../../../src/backends/native/index.js';
import { op, powfConstant, Var } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';
import { buildSpec } from '../../../src/kernel/spec.js';
import type { DType } from '../../../src/ndarray.js';
import { useSharedCache } from './helpers.js';

/** Every exponent powf(t) compiles in: integers and half-integers with |t| <= 8. */
const EXPONENTS = Array.from({ length: 33 }, (_, k) => (k - 16) / 2);

function bases(dtype: DType): number[] {
  const big = dtype === 'float32' ? 38 : 308;
  const out = [0, -0, 1, -1, 2, -2, 0.5, 4, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN];
  for (let e = -big; e <= big; e += big / 97) out.push(10 ** e, -(10 ** e));
  return dtype === 'float32' ? out.map(Math.fround) : out;
}

/** Relative spacing of the type at v (its ulp), and the smallest normal. */
function ulpOf(v: number, dtype: DType): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(v))) - (dtype === 'float32' ? 23 : 52));
}
const MIN_NORMAL: Record<DType, number> = {
  float32: 1.1754943508222875e-38,
  float64: 2.2250738585072014e-308,
};
const MAX: Record<DType, number> = { float32: 3.4028234663852886e38, float64: Number.MAX_VALUE };

/** One kernel: row i gives x_i^t for every exponent t (a one-column Sum of their Concat). */
function powers(): Node {
  const x = Var(0, 1, 'i');
  let f: Node | undefined;
  for (const t of EXPONENTS) {
    const p = op('Powf', [x, powfConstant(t)!]);
    f = f ? op('Concat', [f, p]) : p;
  }
  return op('Mult', [f!, Var(1, 1, 'j')]);
}

function check(got: ArrayLike<number>, xs: readonly number[], dtype: DType, ulps: number): number {
  let worst = 0;
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  xs.forEach((x, q) => {
    EXPONENTS.forEach((t, c) => {
      const want = round(x ** t);
      const v = got[q * EXPONENTS.length + c]!;
      const what = `${dtype} pow(${x}, ${t}) = ${v}, expected ${want}`;
      if (Number.isNaN(want) || !Number.isFinite(want) || want === 0) {
        expect(Number.isNaN(v) ? 'NaN' : v === 0 ? 0 : v, what).toEqual(
          Number.isNaN(want) ? 'NaN' : want === 0 ? 0 : want,
        );
      } else if (Math.abs(want) < MIN_NORMAL[dtype] || Math.abs(want) > MAX[dtype] / 4) {
        // Below the normal range the result may flush to 0; near overflow an intermediate may overflow.
        if (v !== 0 && Number.isFinite(v))
          expect(Math.abs(v - want) / Math.abs(want), what).toBeLessThan(1e-5);
      } else {
        const e = Math.abs(v - want) / ulpOf(want, dtype);
        worst = Math.max(worst, e);
        expect(e, what).toBeLessThanOrEqual(ulps);
      }
    });
  });
  return worst;
}

describe('powf with a compile-time exponent', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`is within a few ulps of C pow on native ${dtype}, special cases exact`, () => {
      useSharedCache();
      const { spec } = buildSpec({ formula: powers(), kind: 'Sum', axis: 'j', dtype });
      const k = nativeBackend.compile(spec) as NativeKernel;
      k.waitReady();
      const xs = bases(dtype);
      const F = dtype === 'float32' ? Float32Array : Float64Array;
      const out = new F(xs.length * EXPONENTS.length);
      k.run({ inputs: [F.from(xs), F.of(1)], nI: xs.length, nJ: 1, out });
      const worst = check(out, xs, dtype, 4);
      expect(worst).toBeGreaterThan(0); // the comparison is live
    });

    it(`agrees on the JS backend in ${dtype}`, () => {
      const { spec } = buildSpec({ formula: powers(), kind: 'Sum', axis: 'j', dtype });
      const xs = bases(dtype);
      const F = dtype === 'float32' ? Float32Array : Float64Array;
      const out = new F(xs.length * EXPONENTS.length);
      jsBackend.compile(spec).run({ inputs: [F.from(xs), F.of(1)], nI: xs.length, nJ: 1, out });
      check(out, xs, dtype, 4);
    });
  }
});
