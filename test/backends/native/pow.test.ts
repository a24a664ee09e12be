/**
 * The native pow (src/backends/native/prelude.ts `lt::pow_`, vectorisable: float32 by the double
 * exp/log, float64 by a double-double log and exp) against JavaScript's Math.pow with C's special cases, across its domain:
 * both signs, magnitudes 1e-38 .. 1e38 (float64: results over the whole double range), zeros, infinities, NaN, integer and fractional exponents.
 */
import { describe, expect, it } from 'vitest';
import { generateUnit } from '../../../src/backends/native/codegen.js';
import { type NativeKernel, nativeBackend } from '../../../src/backends/native/index.js';
import { op, Var } from '../../../src/formula/index.js';
import { buildSpec } from '../../../src/kernel/spec.js';
import { rng } from '../../helpers/rng.js';
import { useSharedCache } from './helpers.js';

/** C's pow in float64 (JavaScript's Math.pow differs at pow(1, NaN) and pow(-1, +-Infinity)). */
function cPow(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  if (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) return 1;
  return x ** y;
}

function bases(): number[] {
  const out = [0, -0, 1, -1, 2, -2, 0.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN];
  for (let e = -38; e <= 38; e += 0.37) {
    const v = Math.fround(10 ** e);
    out.push(v, -v);
  }
  out.push(1.4e-45, -1.4e-45, 3.4e38);
  return out.map(Math.fround);
}

const EXPONENTS = [
  -1.5,
  -0.5,
  0.5,
  1.5,
  2.7,
  -3,
  3,
  2,
  -2,
  0,
  1,
  10.3,
  -20,
  0.1,
  7,
  -7,
  1e6,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
].map(Math.fround);

describe('native float32 pow', () => {
  it('is within 1 float ulp of C pow across its domain, special cases exact', () => {
    useSharedCache();
    const { spec } = buildSpec({
      formula: op('Powf', [Var(0, 1, 'i'), Var(1, 1, 'j')]),
      kind: 'Sum',
      axis: 'j',
      dtype: 'float32',
    });
    const k = nativeBackend.compile(spec) as NativeKernel;
    k.waitReady();
    const xs = Float32Array.from(bases());
    let checked = 0;
    for (const y of EXPONENTS) {
      const out = new Float32Array(xs.length);
      k.run({ inputs: [xs, Float32Array.of(y)], nI: xs.length, nJ: 1, out });
      for (let q = 0; q < xs.length; q++) {
        const want = Math.fround(cPow(xs[q]!, y));
        const got = out[q]!;
        const what = `pow(${xs[q]}, ${y}) = ${got}, expected ${want}`;
        if (Number.isNaN(want) || !Number.isFinite(want) || want === 0) {
          // A sum over one column: the sign of zero is the sum's (0 + -0 = 0).
          expect(Number.isNaN(got) ? 'NaN' : got === 0 ? 0 : got, what).toEqual(
            Number.isNaN(want) ? 'NaN' : want === 0 ? 0 : want,
          );
        } else {
          const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want))) - 23);
          expect(Math.abs(got - want), what).toBeLessThanOrEqual(Math.max(ulp, 1.4e-45));
        }
        checked++;
      }
    }
    expect(checked).toBe(xs.length * EXPONENTS.length);
  });
});

/** Distance in double ulps between two finite doubles. */
function ulps64(a: number, b: number): number {
  const v = new BigInt64Array(new Float64Array([a, b]).buffer);
  const key = (i: bigint) => (i < 0n ? -(i & 0x7fffffffffffffffn) : i);
  const d = key(v[0]!) - key(v[1]!);
  return Number(d < 0n ? -d : d);
}

describe('native float64 pow', () => {
  it('is within 2 ulps of C pow across its domain (results from 2^-1074 to 2^1024), special cases exact', () => {
    useSharedCache();
    const { spec } = buildSpec({
      formula: op('Powf', [Var(0, 1, 'i'), Var(1, 1, 'i')]),
      kind: 'Sum',
      axis: 'j',
      dtype: 'float64',
    });
    const src = generateUnit([spec]).source;
    expect(src).toContain('= lt::pow_(');
    expect(src).not.toMatch(/__builtin_pow\(/);
    const r = rng(5);
    const special = [
      0,
      -0,
      1,
      -1,
      2,
      -2,
      0.5,
      -0.5,
      3,
      -3,
      2.5,
      Infinity,
      -Infinity,
      NaN,
      5e-324,
      1e300,
      -1e300,
    ];
    const xs: number[] = [];
    const ys: number[] = [];
    for (const x of special) {
      for (const y of special) {
        xs.push(x);
        ys.push(y);
      }
    }
    for (let q = 0; q < 30000; q++) {
      // Any base; the exponent keeps |y log x| within 760 (results over the whole double range and beyond).
      const x = (1 + r()) * 2 ** Math.floor(-1074 + 2098 * r());
      xs.push(x);
      ys.push(((2 * r() - 1) * 760) / Math.max(Math.abs(Math.log(x)), 1e-3));
    }
    for (let q = 0; q < 10000; q++) {
      xs.push(1 + (2 * r() - 1) * 2 ** -Math.floor(50 * r()));
      ys.push((2 * r() - 1) * 2 ** Math.floor(60 * r()));
      xs.push(-(1 + Math.floor(9 * r())) / 4);
      ys.push(Math.floor((2 * r() - 1) * 40));
    }
    const X = Float64Array.from(xs);
    const Y = Float64Array.from(ys);
    const k = nativeBackend.compile(spec) as NativeKernel;
    k.waitReady();
    const out = new Float64Array(X.length);
    k.run({ inputs: [X, Y], nI: X.length, nJ: 1, out });
    expect(k.lastEngine).toBe('native');
    let worst = 0;
    for (let q = 0; q < X.length; q++) {
      const want = cPow(X[q]!, Y[q]!);
      const got = out[q]!;
      const what = `pow(${X[q]}, ${Y[q]}) = ${got}, expected ${want}`;
      if (Number.isNaN(want) || !Number.isFinite(want) || want === 0) {
        expect(Number.isNaN(got) ? 'NaN' : got === 0 ? 0 : got, what).toEqual(
          Number.isNaN(want) ? 'NaN' : want === 0 ? 0 : want,
        );
      } else {
        const d = ulps64(got, want);
        expect(d, what).toBeLessThanOrEqual(2);
        worst = Math.max(worst, d);
      }
    }
    expect(worst).toBeLessThanOrEqual(2);
  });
});
