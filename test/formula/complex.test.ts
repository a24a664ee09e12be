import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { genred } from '../../src/genred.js';
import { type LazyTensor, Vi, Vj } from '../../src/index.js';
import { dot, expectClose, finiteDiff } from '../helpers/check.js';
import { rng, uniform } from '../helpers/rng.js';

/**
 * Complex ops (re/im interleaved), each against complex arithmetic written here, value and
 * gradient (central finite differences), float64 on the JS backend. One column (M = 1) makes
 * the Sum over j the pointwise value.
 */
type C = [number, number];
const cx = (v: ArrayLike<number>, t: number): C => [v[2 * t]!, v[2 * t + 1]!];
const cmul = ([a, b]: C, [c, d]: C): C => [a * c - b * d, a * d + b * c];
const cdiv = ([a, b]: C, [c, d]: C): C => {
  const q = c * c + d * d;
  return [(a * c + b * d) / q, (b * c - a * d) / q];
};
const cexp = ([a, b]: C): C => [Math.exp(a) * Math.cos(b), Math.exp(a) * Math.sin(b)];

const N = 5;
const K = 2; // complex components of x and y
const r = rng(2222);
const X = uniform(r, N * 2 * K, -1, 1);
const Y = uniform(r, 2 * K, 0.5, 1.5); // away from 0 (division, angle)
const S = uniform(r, 2, -1, 1); // a complex scalar
const R = uniform(r, N * 3, -2, 2); // a real vector per row

const opts = { backend: 'js' } as const;
const per = (f: (i: number) => number[]) =>
  Float64Array.from(Array.from({ length: N }, (_, i) => f(i)).flat());
const comps = (f: (t: number) => C | number) => Array.from({ length: K }, (_, t) => f(t)).flat() as number[];

interface Case {
  name: string;
  /** Builds the formula from x (Vi, 2K) and y (Vj, 2K), s (Vj, 2), q (Vi, 3 real). */
  build: (x: LazyTensor, y: LazyTensor, s: LazyTensor, q: LazyTensor) => LazyTensor;
  /** Reference value of row i from the x row's data. */
  ref: (xr: Float64Array, i: number) => number[];
  /** Which input the gradient is taken with respect to. */
  wrt: 'x' | 'q';
}

const cases: Case[] = [
  { name: 'real', build: (x) => x.real(), ref: (v) => comps((t) => cx(v, t)[0]), wrt: 'x' },
  { name: 'imag', build: (x) => x.imag(), ref: (v) => comps((t) => cx(v, t)[1]), wrt: 'x' },
  { name: 'conj', build: (x) => x.conj(), ref: (v) => comps((t) => [cx(v, t)[0], -cx(v, t)[1]]), wrt: 'x' },
  { name: 'complexExp', build: (x) => x.complexExp(), ref: (v) => comps((t) => cexp(cx(v, t))), wrt: 'x' },
  {
    name: 'complexAbs',
    build: (x) => x.complexAbs(),
    ref: (v) => comps((t) => Math.hypot(...cx(v, t))),
    wrt: 'x',
  },
  {
    name: 'complexSquareAbs',
    build: (x) => x.complexSquareAbs(),
    ref: (v) => comps((t) => cx(v, t)[0] ** 2 + cx(v, t)[1] ** 2),
    wrt: 'x',
  },
  {
    name: 'complexAngle',
    build: (x) => x.complexAngle(),
    ref: (v) => comps((t) => Math.atan2(cx(v, t)[1], cx(v, t)[0])),
    wrt: 'x',
  },
  {
    name: 'complexSum',
    build: (x) => x.complexSum(),
    ref: (v) => [0, 1].map((c) => comps((t) => cx(v, t)[c]!).reduce((a, b) => a + b, 0)),
    wrt: 'x',
  },
  {
    name: 'complexAdd',
    build: (x, y) => x.complexAdd(y),
    ref: (v) => comps((t) => [cx(v, t)[0] + cx(Y, t)[0], cx(v, t)[1] + cx(Y, t)[1]]),
    wrt: 'x',
  },
  {
    name: 'complexSub',
    build: (x, y) => x.complexSub(y),
    ref: (v) => comps((t) => [cx(v, t)[0] - cx(Y, t)[0], cx(v, t)[1] - cx(Y, t)[1]]),
    wrt: 'x',
  },
  {
    name: 'complexMul',
    build: (x, y) => x.complexMul(y),
    ref: (v) => comps((t) => cmul(cx(v, t), cx(Y, t))),
    wrt: 'x',
  },
  {
    name: 'complexDiv',
    build: (x, y) => y.complexDiv(x),
    ref: (v) => comps((t) => cdiv(cx(Y, t), cx(v, t))),
    wrt: 'x',
  },
  {
    name: 'complexMul by a broadcast complex scalar',
    build: (x, _y, s) => s.complexMul(x),
    ref: (v) => comps((t) => cmul(cx(S, 0), cx(v, t))),
    wrt: 'x',
  },
  {
    name: 'exp1j of a real vector',
    build: (_x, _y, _s, q) => q.exp1j(),
    ref: (_v, i) => [0, 1, 2].flatMap((k) => [Math.cos(R[3 * i + k]!), Math.sin(R[3 * i + k]!)]),
    wrt: 'q',
  },
  {
    name: 'real2complex',
    build: (_x, _y, _s, q) => q.real2complex(),
    ref: (_v, i) => [0, 1, 2].flatMap((k) => [R[3 * i + k]!, 0]),
    wrt: 'q',
  },
  {
    name: 'imag2complex',
    build: (_x, _y, _s, q) => q.imag2complex(),
    ref: (_v, i) => [0, 1, 2].flatMap((k) => [0, R[3 * i + k]!]),
    wrt: 'q',
  },
];

function evaluate(c: Case, Xv: Float64Array, Rv: Float64Array) {
  const x = Vi({ data: Xv, shape: [N, 2 * K] });
  const q = Vi({ data: Rv, shape: [N, 3] });
  const y = Vj({ data: Y, shape: [1, 2 * K] });
  const s = Vj({ data: S, shape: [1, 2] });
  return { x, q, red: c.build(x, y, s, q).reduction('Sum', 'j', opts) };
}

describe('complex ops (re/im interleaved) against complex arithmetic', () => {
  for (const c of cases) {
    it(`${c.name}: value and gradient`, () => {
      const { x, q, red } = evaluate(c, X, R);
      const got = red.eval().data;
      const want = per((i) => c.ref(X.subarray(i * 2 * K, (i + 1) * 2 * K), i));
      expectClose(got, want, 1e-13, 1e-14, 'value');
      const e = uniform(rng(9), want.length, -1, 1);
      const shapeE = { data: e, shape: [N, want.length / N] };
      const target = c.wrt === 'x' ? x : q;
      const g = red.grad(target, shapeE).eval().data;
      const fd = finiteDiff(
        (v) => dot(evaluate(c, c.wrt === 'x' ? v : X, c.wrt === 'q' ? v : R).red.eval().data, e),
        c.wrt === 'x' ? X : R,
      );
      expectClose(g, fd, 1e-7, 1e-8, 'gradient');
    });
  }

  it('formula strings: ComplexScal, ComplexRealScal, ComplexSumT, ComplexMult agree with the references', () => {
    const aliases = ['x = Vi(4)', 'y = Vj(4)', 's = Vj(2)', 'w = Vj(1)'];
    const xa = { data: X, shape: [N, 4] };
    const one = (f: string) => genred(f, aliases, 'Sum', { axis: 'j', backend: 'js' });
    const run = (f: string) =>
      one(f)(
        xa,
        { data: Y, shape: [1, 4] },
        { data: S, shape: [1, 2] },
        { data: Float64Array.of(0.7), shape: [1, 1] },
      ).data;
    expectClose(
      run('ComplexScal(s, x)'),
      per((i) => comps((t) => cmul(cx(S, 0), cx(X.subarray(4 * i), t)))),
      1e-13,
      1e-14,
      'ComplexScal',
    );
    expectClose(
      run('ComplexRealScal(w, x)'),
      Float64Array.from(X, (v) => 0.7 * v),
      1e-13,
      1e-14,
      'ComplexRealScal',
    );
    expectClose(
      run('ComplexMult(ComplexSumT(s, 2), x)'),
      per((i) => comps((t) => cmul(cx(S, 0), cx(X.subarray(4 * i), t)))),
      1e-13,
      1e-14,
      'ComplexSumT',
    );
    expectClose(
      run('ComplexMult(x, y)'),
      per((i) => comps((t) => cmul(cx(X.subarray(4 * i), t), cx(Y, t)))),
      1e-13,
      1e-14,
      'ComplexMult',
    );
  });

  it('rejects non-complex operands with a clear error', () => {
    const x3 = Vi({ data: new Float64Array(6), shape: [2, 3] });
    const x4 = Vi({ data: new Float64Array(8), shape: [2, 4] });
    const y6 = Vj({ data: new Float64Array(12), shape: [2, 6] });
    expect(() => x3.real()).toThrow(LazyTensorError);
    expect(() => x3.real()).toThrow(/even dimension 2k.*got dimension 3/);
    expect(() => x4.complexMul(y6)).toThrow(/must match or one must be a complex scalar.*4 and 6/);
    expect(() => genred('ComplexScal(x, y)', ['x = Vi(4)', 'y = Vj(4)'], 'Sum')).toThrow(
      /first argument must be a complex scalar/,
    );
    expect(() => genred('ComplexRealScal(x, y)', ['x = Vi(2)', 'y = Vj(4)'], 'Sum')).toThrow(
      /first argument must be a real scalar/,
    );
  });
});
