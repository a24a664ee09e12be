/**
 * Native float64 transcendental functions (pow: test/backends/native/pow.test.ts) against Math.* (V8's fdlibm, within 1 ulp of the exact
 * value) across each function's domain: random magnitudes from the smallest subnormal to the
 * largest double, dense sweeps of the common range, the doubles nearest to multiples of pi/2
 * (where an argument reduction cancels most), the hardest known argument of the double
 * reduction, and the special values (+-0, +-Inf, NaN). The kernels must use the prelude's
 * vectorisable functions (no libm call in the pair loop); the worst distance in double ulps is
 * asserted. Then whole formulas through the native backend against dense float64 loops.
 */
import { describe, expect, it } from 'vitest';
import { generateUnit } from '../../../src/backends/native/codegen.js';
import { type NativeKernel, nativeBackend } from '../../../src/backends/native/index.js';
import { PRELUDE } from '../../../src/backends/native/prelude.js';
import { type Node, op, Var } from '../../../src/formula/index.js';
import { varIndex } from '../../../src/formula/node.js';
import { buildSpec } from '../../../src/kernel/spec.js';
import { rng } from '../../helpers/rng.js';
import { useSharedCache } from './helpers.js';

/** Distance in double ulps between two finite doubles (counts the representable doubles between). */
function ulps64(a: number, b: number): number {
  const v = new BigInt64Array(new Float64Array([a, b]).buffer);
  const key = (i: bigint) => (i < 0n ? -(i & 0x7fffffffffffffffn) : i);
  const d = key(v[0]!) - key(v[1]!);
  return Number(d < 0n ? -d : d);
}

const SPECIALS = [0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 5e-324, -5e-324];

/** Random doubles of every magnitude 2^lo .. 2^hi, both signs (fixed seed). */
function magnitudes(n: number, lo: number, hi: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from(
    { length: n },
    () => (r() < 0.5 ? -1 : 1) * (1 + r()) * 2 ** Math.floor(lo + (hi - lo) * r()),
  );
}

/** n points uniform in [a, b]. */
function sweep(n: number, a: number, b: number): number[] {
  return Array.from({ length: n }, (_, q) => a + ((b - a) * q) / (n - 1));
}

/** The doubles nearest k pi/2 and their neighbours, k from 1 to 2^60 (geometric). */
function nearPiOver2(): number[] {
  const out: number[] = [];
  const f = new Float64Array(1);
  const u = new BigInt64Array(f.buffer);
  for (let k = 1; k < 2 ** 60; k = Math.ceil(k * 1.09)) {
    f[0] = (k * Math.PI) / 2;
    const v = f[0];
    u[0]! += 1n;
    const up = f[0];
    u[0]! -= 2n;
    out.push(v, -v, up, f[0]);
  }
  return out;
}

/** Runs f elementwise on the native backend (a Sum over one column: the sum is the value). */
function nativeValues(name: string, xs: Float64Array, ys?: Float64Array): Float64Array {
  const formula = ys ? op(name, [Var(0, 1, 'i'), Var(1, 1, 'i')]) : op(name, [Var(0, 1, 'i')]);
  const { spec } = buildSpec({ formula, kind: 'Sum', axis: 'j', dtype: 'float64' });
  const src = generateUnit([spec]).source;
  expect(src).toContain(`= lt::${name.toLowerCase()}_(`);
  expect(src).not.toMatch(/__builtin_(sin|cos|tan|asin|acos|atan|atan2|pow)\(/);
  const k = nativeBackend.compile(spec) as NativeKernel;
  k.waitReady();
  const out = new Float64Array(xs.length);
  k.run({ inputs: ys ? [xs, ys] : [xs], nI: xs.length, nJ: 1, out });
  expect(k.lastEngine).toBe('native');
  return out;
}

/** Worst ulp distance of got against want (NaN must match NaN; zeros compared by sign-free value). */
function worstUlps(
  got: Float64Array,
  want: (q: number) => number,
  what: (q: number) => string,
  bound: number,
) {
  let worst = 0;
  for (let q = 0; q < got.length; q++) {
    const w = want(q);
    const g = got[q]!;
    if (Number.isNaN(w)) expect(g, what(q)).toBeNaN();
    else {
      // A sum over one column: the sign of a zero is the sum's (0 + -0 = 0).
      const d = w === 0 ? Math.abs(g) / 5e-324 : ulps64(g, w);
      expect(d, `${what(q)} = ${g}, expected ${w}`).toBeLessThanOrEqual(bound);
      worst = Math.max(worst, d);
    }
  }
  return worst;
}

describe('native prelude math', () => {
  it('defines every pair-loop math function for float and double, always inlined (a call keeps the loop scalar)', () => {
    for (const fn of ['exp_', 'log_', 'pow_', 'sin_', 'cos_', 'atan_', 'atan2_', 'asin_', 'acos_']) {
      for (const T of ['float', 'double']) expect(PRELUDE, `${T} ${fn}`).toContain(`LT_MATH ${T} ${fn}(`);
    }
    expect(PRELUDE).toContain('#define LT_MATH __attribute__((always_inline)) static inline');
    expect(PRELUDE).not.toMatch(
      /static inline (float|double) (exp|log|pow|sin|cos|sincos|atan|atan2|asin|acos)_\(/,
    );
  });
});

describe('native float64 sin and cos', () => {
  const xs = Float64Array.from([
    ...SPECIALS,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    2.2250738585072014e-308,
    Math.PI / 4,
    0.7853981633974484,
    1e22,
    6381956970095103 * 2 ** 797, // the double closest to a multiple of pi/2 (distance ~2^-61)
    ...magnitudes(20000, -1074, 1024, 11),
    ...magnitudes(20000, -4, 30, 12),
    ...sweep(20001, -20, 20),
    ...nearPiOver2(),
  ]);
  for (const [name, ref] of [
    ['Sin', Math.sin],
    ['Cos', Math.cos],
  ] as const) {
    it(`${name} is within 2 ulps of Math.${name.toLowerCase()} everywhere (8 at the hardest argument)`, () => {
      useSharedCache();
      const got = nativeValues(name, xs);
      const hardest = 6381956970095103 * 2 ** 797;
      const d = worstUlps(
        got,
        (q) => ref(xs[q]!),
        (q) => `${name}(${xs[q]})`,
        Number.POSITIVE_INFINITY,
      );
      expect(d).toBeLessThanOrEqual(8);
      let worstElsewhere = 0;
      for (let q = 0; q < xs.length; q++) {
        if (xs[q] === hardest || Number.isNaN(got[q]!) || ref(xs[q]!) === 0) continue;
        worstElsewhere = Math.max(worstElsewhere, ulps64(got[q]!, ref(xs[q]!)));
      }
      expect(worstElsewhere).toBeLessThanOrEqual(2);
      expect(xs.length).toBeGreaterThan(60000);
    });
  }
});

/** Each breakpoint and its two neighbouring doubles, both signs. */
function around(points: number[]): number[] {
  const f = new Float64Array(1);
  const u = new BigInt64Array(f.buffer);
  return points.flatMap((p) => {
    f[0] = p;
    u[0]! += 1n;
    const up = f[0];
    u[0]! -= 2n;
    return [p, up, f[0], -p, -up, -f[0]];
  });
}

/** [-1, 1] and a little beyond: magnitudes down to 2^-1074, a sweep, 1 - 2^-k, the breakpoint 1/2. */
function unitDomain(seed: number): number[] {
  const near1 = Array.from({ length: 54 }, (_, k) => 1 - 2 ** -k);
  return [
    ...magnitudes(20000, -1074, 0, seed),
    ...sweep(20001, -1.1, 1.1),
    ...around([...near1, 1, 0.5, 1.0000000000000002]),
  ];
}

describe('native float64 inverse trigonometry', () => {
  const UNARY = [
    [
      'Atan',
      Math.atan,
      [
        ...SPECIALS,
        ...magnitudes(30000, -1074, 1024, 21),
        ...sweep(20001, -20, 20),
        ...around([0.4375, 0.6875, 1.1875, 2.4375, 1, 0.5, 1.5]),
      ],
      1,
    ],
    ['Asin', Math.asin, [...SPECIALS, ...unitDomain(41)], 2],
    ['Acos', Math.acos, [...SPECIALS, ...unitDomain(42)], 2],
  ] as const;
  for (const [name, ref, points, bound] of UNARY) {
    it(`${name} is within ${bound} ulp of Math.${name.toLowerCase()} across its domain`, () => {
      useSharedCache();
      const xs = Float64Array.from(points);
      const got = nativeValues(name, xs);
      const d = worstUlps(
        got,
        (q) => ref(xs[q]!),
        (q) => `${name}(${xs[q]})`,
        bound,
      );
      expect(d).toBeLessThanOrEqual(bound);
      expect(xs.length).toBeGreaterThan(20000);
    });
  }
});

describe('native float64 atan2', () => {
  it('Atan2 is within 2 ulps of Math.atan2 for every sign, magnitude and special value', () => {
    useSharedCache();
    const grid = [...SPECIALS, 1, -1, 2, -2, Number.MAX_VALUE, -Number.MAX_VALUE, 1e-300, -1e-300];
    const ys: number[] = [];
    const xs: number[] = [];
    for (const y of grid) {
      for (const x of grid) {
        ys.push(y);
        xs.push(x);
      }
    }
    const my = magnitudes(20000, -1074, 1024, 31);
    const mx = magnitudes(20000, -1074, 1024, 32);
    const cy = magnitudes(20000, -8, 8, 33);
    const cx = magnitudes(20000, -8, 8, 34);
    ys.push(...my, ...cy);
    xs.push(...mx, ...cx);
    const Y = Float64Array.from(ys);
    const X = Float64Array.from(xs);
    const got = nativeValues('Atan2', Y, X);
    const d = worstUlps(
      got,
      (q) => Math.atan2(Y[q]!, X[q]!),
      (q) => `Atan2(${Y[q]}, ${X[q]})`,
      2,
    );
    expect(d).toBeLessThanOrEqual(2);
    // Signed zeros and the quadrants of the special cases (a one-column sum keeps -0 only as 0).
    for (let q = 0; q < grid.length ** 2; q++) {
      const w = Math.atan2(Y[q]!, X[q]!);
      if (w !== 0) expect(Math.sign(got[q]!), `Atan2(${Y[q]}, ${X[q]})`).toBe(Math.sign(w));
    }
  });
});

/** Dense float64 reference of Sum_j b_j f(x_i, y_j) with the kernel's argument. */
function denseSum(
  f: (x: number[], y: number[]) => number,
  X: Float64Array,
  Y: Float64Array,
  B: Float64Array,
  D: number,
): Float64Array {
  const nI = X.length / D;
  const nJ = Y.length / D;
  const out = new Float64Array(nI);
  for (let i = 0; i < nI; i++) {
    const x = Array.from(X.subarray(i * D, i * D + D));
    let s = 0;
    for (let j = 0; j < nJ; j++) s += B[j]! * f(x, Array.from(Y.subarray(j * D, j * D + D)));
    out[i] = s;
  }
  return out;
}

const dot = (x: number[], y: number[]) => x.reduce((s, v, k) => s + v * y[k]!, 0);

const scaled = (f: string, x: Node, y: Node) => op(f, [op('Mult', [Var(3, 1, 'p'), op('Scalprod', [x, y])])]);

const FORMULAS: [string, (x: Node, y: Node) => Node, (x: number[], y: number[]) => number][] = [
  [
    'atan2(<x, y>, y_0 - 1/2)',
    (x, y) => op('Atan2', [op('Scalprod', [x, y]), op('Subtract', [op('Elem', [y], [0]), Var(4, 1, 'p')])]),
    (x, y) => Math.atan2(dot(x, y), y[0]! - 0.5),
  ],
  [
    'asin(<x, y> / 3)',
    (x, y) => op('Asin', [op('Divide', [op('Scalprod', [x, y]), Var(5, 1, 'p')])]),
    (x, y) => Math.asin(dot(x, y) / 3),
  ],
  [
    'acos(<x, y> / 3)',
    (x, y) => op('Acos', [op('Divide', [op('Scalprod', [x, y]), Var(5, 1, 'p')])]),
    (x, y) => Math.acos(dot(x, y) / 3),
  ],
  [
    'pow(|x - y|^2 + 1/2, -1.3)',
    (x, y) => op('Powf', [op('Add', [op('SqDist', [x, y]), Var(4, 1, 'p')]), Var(6, 1, 'p')]),
    (x, y) => (x.reduce((s, v, k) => s + (v - y[k]!) ** 2, 0) + 0.5) ** -1.3,
  ],
  ['atan(50 <x, y>)', (x, y) => scaled('Atan', x, y), (x, y) => Math.atan(50 * dot(x, y))],
  [
    'sin(50 <x, y>)',
    (x, y) => op('Sin', [op('Mult', [Var(3, 1, 'p'), op('Scalprod', [x, y])])]),
    (x, y) => Math.sin(50 * dot(x, y)),
  ],
  [
    'cos(50 <x, y>)',
    (x, y) => op('Cos', [op('Mult', [Var(3, 1, 'p'), op('Scalprod', [x, y])])]),
    (x, y) => Math.cos(50 * dot(x, y)),
  ],
];

describe('native float64 transcendental formulas against dense loops', () => {
  for (const [name, build, ref] of FORMULAS) {
    it(`Sum_j b_j ${name}`, () => {
      useSharedCache();
      const D = 3;
      const nI = 67;
      const nJ = 301;
      const r = rng(7);
      const X = Float64Array.from({ length: nI * D }, () => 2 * r() - 1);
      const Y = Float64Array.from({ length: nJ * D }, () => 2 * r() - 1);
      const B = Float64Array.from({ length: nJ }, () => r());
      const formula = op('Mult', [build(Var(0, D, 'i'), Var(1, D, 'j')), Var(2, 1, 'j')]);
      const { spec, slotVars } = buildSpec({ formula, kind: 'Sum', axis: 'j', dtype: 'float64' });
      const data: Record<number, Float64Array> = {
        0: X,
        1: Y,
        2: B,
        3: Float64Array.of(50),
        4: Float64Array.of(0.5),
        5: Float64Array.of(3),
        6: Float64Array.of(-1.3),
      };
      const inputs = slotVars.map((v) => data[varIndex(v)]!);
      const k = nativeBackend.compile(spec) as NativeKernel;
      k.waitReady();
      const out = new Float64Array(nI);
      k.run({ inputs, nI, nJ, out });
      expect(k.lastEngine).toBe('native');
      const want = denseSum(ref, X, Y, B, D);
      for (let i = 0; i < nI; i++) expect(Math.abs(out[i]! - want[i]!), `row ${i}`).toBeLessThan(1e-12 * nJ);
    });
  }
});
