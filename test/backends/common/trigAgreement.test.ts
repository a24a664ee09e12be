/**
 * Sin, Cos, Powf and PowHalf on every CPU backend against float64 references (Math.sin, Math.cos,
 * C pow), in float32 and float64: [-10, 10], [1e3, 1e5], huge arguments (1e10, 1e30 and the
 * floats nearest to multiples of pi/2), zeros, infinities and NaN. float32 results within 1 ulp
 * (sin, cos; 4 ulps for the compiled-in powers), float64 within 2 ulps (the prelude's vectorisable sin and cos on native, Math.* on js).
 */
import { describe, expect, it } from 'vitest';
import { op, powfConstant, Var } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';
import { getBackend } from '../../../src/index.js';
import { buildSpec } from '../../../src/kernel/spec.js';
import type { DType } from '../../../src/ndarray.js';
import { backendsUnderTest, DTYPES } from '../../helpers/backends.js';

function trigInputs(): number[] {
  const out = [
    0,
    -0,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
    1e10,
    -1e10,
    1e30,
    -1e30,
  ];
  for (let q = 0; q <= 2000; q++) out.push(-10 + q / 100);
  for (let q = 0; q <= 500; q++) out.push(1e3 * 100 ** (q / 500));
  for (let k = 1; k < 1e9; k = Math.ceil(k * 1.9)) out.push((k * Math.PI) / 2, (-k * Math.PI) / 2);
  return out;
}

function powInputs(): number[] {
  const out = [0, -0, 1, -1, 2, -2, 0.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN];
  for (let e = -30; e <= 30; e += 0.7) out.push(10 ** e, -(10 ** e));
  return out;
}

/** C's pow in float64 (Math.pow differs at pow(1, NaN) and pow(-1, +-Infinity)). */
const cPow = (x: number, y: number) =>
  x === 1 || y === 0 ? 1 : x === -1 && !Number.isFinite(y) && !Number.isNaN(y) ? 1 : x ** y;

const POW_EXPONENTS = [-1.5, -0.5, 0.5, 2.5, -3, 3, 0.3, -2.7];

/** Value of formula f(x) for each x (rows), on `backend` in `dtype`; the exponent p is slot 1. */
function run(backend: string, dtype: DType, f: Node, xs: readonly number[], p?: number): Float64Array {
  const { spec, slotVars } = buildSpec({ formula: f, kind: 'Sum', axis: 'j', dtype });
  const F = dtype === 'float32' ? Float32Array : Float64Array;
  const data = new Map<number, Float32Array | Float64Array>([
    [0, F.from(xs)],
    [1, F.of(p ?? 0)],
    [2, F.of(1)],
  ]);
  const inputs = slotVars.map((v) => data.get(v.params[0]!)!);
  const out = new F(xs.length * f.dim);
  const k = getBackend(backend).compile(spec);
  k.run({ inputs, nI: xs.length, nJ: 1, out });
  return Float64Array.from(out);
}

function expectUlps(got: Float64Array, want: readonly number[], dtype: DType, ulps: number, what: string) {
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  const bits = dtype === 'float32' ? 23 : 52;
  const tiny = dtype === 'float32' ? 1.2e-38 : 2.3e-308;
  want.forEach((w0, q) => {
    const w = round(w0);
    const g = got[q]!;
    const msg = `${what}: #${q} got ${g}, expected ${w}`;
    if (Number.isNaN(w)) expect(g, msg).toBeNaN();
    else if (!Number.isFinite(w) || w === 0) expect(g === 0 ? 0 : g, msg).toBe(w === 0 ? 0 : w);
    else if (Math.abs(w) < tiny) expect(Math.abs(g - w), msg).toBeLessThan(tiny);
    else
      expect(Math.abs(g - w) / 2 ** (Math.floor(Math.log2(Math.abs(w))) - bits), msg).toBeLessThanOrEqual(
        ulps,
      );
  });
}

const x = Var(0, 1, 'i');
const one = Var(2, 1, 'j');

for (const backend of backendsUnderTest()) {
  for (const dtype of DTYPES) {
    describe(`transcendental ops on ${backend}, ${dtype}`, () => {
      const round = dtype === 'float32' ? Math.fround : (v: number) => v;
      it('Sin and Cos across their domain', () => {
        const xs = trigInputs().map(round);
        for (const [name, ref] of [
          ['Sin', Math.sin],
          ['Cos', Math.cos],
        ] as const) {
          const got = run(backend, dtype, op('Mult', [op(name, [x]), one]), xs);
          expectUlps(got, xs.map(ref), dtype, dtype === 'float32' ? 1 : 2, `${name} ${backend} ${dtype}`);
        }
      });
      it('Powf with run-time and compiled-in exponents', () => {
        const xs = powInputs().map(round);
        for (const t of POW_EXPONENTS) {
          const want = xs.map((v) => cPow(v, round(t)));
          const runtime = run(backend, dtype, op('Mult', [op('Powf', [x, Var(1, 1, 'p')]), one]), xs, t);
          expectUlps(
            runtime,
            want,
            dtype,
            dtype === 'float32' ? 1 : 2,
            `Powf(x, p = ${t}) ${backend} ${dtype}`,
          );
          const c = powfConstant(t);
          if (!c) continue;
          const fixed = run(backend, dtype, op('Mult', [op('Powf', [x, c]), one]), xs);
          expectUlps(fixed, want, dtype, 4, `Powf(x, ${t}) compiled in, ${backend} ${dtype}`);
        }
      });
    });
  }
}
