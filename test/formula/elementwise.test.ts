/**
 * Conformance case 26: per-op sweep. Every elementwise op on Vi/Vj arguments (dim 3), Sum over j
 * through the JS backend in float64: the value against a dense float64 reference written here with
 * Math.*, and the gradient (vector-Jacobian product with a random cotangent e_i) with respect to
 * the i- and j-variables against the analytic derivative (dense) and central finite differences.
 */
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/index.js';
import { isZero, type Node } from '../../src/formula/node.js';
import { op } from '../../src/formula/opRegistry.js';
import { IntCst, Var } from '../../src/formula/ops/index.js';
import {
  columns,
  cotangent,
  fdGrad,
  kernelGrad,
  relErr,
  rng,
  type Sizes,
  sumJ,
  uniform,
  type VarData,
} from './helpers.js';

const D = 3;
const sz: Sizes = { nI: 300, nJ: 500 };

type F = (...v: number[]) => number;
interface Case {
  name: string;
  /** Category and sampling range of each argument. */
  args: readonly ['i' | 'j', number, number][];
  build: (...v: Node[]) => Node;
  f: F;
  /** Partial derivatives, or 'zero' for piecewise-constant ops. */
  df: readonly F[] | 'zero';
  /** Finite-difference step (smaller near kinks). */
  h?: number;
}

/** A unary op applied to x_i + y_j with x, y in [lo/2, hi/2). */
function unary(
  name: string,
  lo: number,
  hi: number,
  f: F,
  df: F | 'zero',
  build?: (u: Node) => Node,
  h?: number,
): Case {
  const b = build ?? ((u: Node) => op(name, [u]));
  return {
    name,
    args: [
      ['i', lo / 2, hi / 2],
      ['j', lo / 2, hi / 2],
    ],
    build: (x, y) => b(op('Add', [x!, y!])),
    f: (x, y) => f(x! + y!),
    df: df === 'zero' ? 'zero' : [(x, y) => df(x! + y!), (x, y) => df(x! + y!)],
    ...(h === undefined ? {} : { h }),
  };
}

const sinc = (u: number) => (u === 0 ? 1 : Math.sin(u) / u);
const roundHalfAway = (v: number) => Math.sign(v) * Math.round(Math.abs(v));

const CASES: Case[] = [
  unary(
    'Minus',
    -2,
    2,
    (u) => -u,
    () => -1,
  ),
  unary('Exp', -2, 2, Math.exp, Math.exp),
  unary('Log', 0, 2, Math.log, (u) => 1 / u),
  unary(
    'XLogX',
    0,
    2,
    (u) => u * Math.log(u),
    (u) => Math.log(u) + 1,
  ),
  unary(
    'Square',
    -2,
    2,
    (u) => u * u,
    (u) => 2 * u,
  ),
  unary(
    'Inv',
    0.5,
    2,
    (u) => 1 / u,
    (u) => -1 / (u * u),
  ),
  unary('Sqrt', 0, 2, Math.sqrt, (u) => 0.5 / Math.sqrt(u)),
  unary(
    'Rsqrt',
    0.5,
    2,
    (u) => 1 / Math.sqrt(u),
    (u) => -0.5 * u ** -1.5,
  ),
  unary(
    'Pow3',
    0,
    2,
    (u) => u ** 3,
    (u) => 3 * u * u,
    (u) => op('Pow', [u], [3]),
  ),
  unary(
    'Pow-2',
    0.5,
    2,
    (u) => u ** -2,
    (u) => -2 * u ** -3,
    (u) => op('Pow', [u], [-2]),
  ),
  unary(
    'Pow7',
    -1,
    1,
    (u) => u ** 7,
    (u) => 7 * u ** 6,
    (u) => op('Pow', [u], [7]),
  ),
  unary('Abs', -2, 2, Math.abs, Math.sign, undefined, 1e-7),
  unary('Sign', -2, 2, Math.sign, 'zero'),
  unary('Step', -2, 2, (u) => (u < 0 ? 0 : 1), 'zero'),
  unary(
    'ReLU',
    -2,
    2,
    (u) => Math.max(u, 0),
    (u) => (u < 0 ? 0 : 1),
    undefined,
    1e-7,
  ),
  unary('Floor', -4, 4, Math.floor, 'zero'),
  unary(
    'Round2',
    -4,
    4,
    (u) => roundHalfAway(u * 100) / 100,
    'zero',
    (u) => op('Round', [u], [2]),
  ),
  unary('Round0', -4, 4, roundHalfAway, 'zero', (u) => op('Round', [u], [0])),
  unary('Sin', -4, 4, Math.sin, Math.cos),
  unary('Cos', -4, 4, Math.cos, (u) => -Math.sin(u)),
  unary('SinXDivX', -4, 4, sinc, (u) => (Math.cos(u) - sinc(u)) / u),
  unary('Asin', -1, 1, Math.asin, (u) => 1 / Math.sqrt(1 - u * u)),
  unary('Acos', -1, 1, Math.acos, (u) => -1 / Math.sqrt(1 - u * u)),
  unary('Atan', -4, 4, Math.atan, (u) => 1 / (1 + u * u)),
  unary(
    'ClampInt',
    -3,
    3,
    (u) => Math.min(Math.max(u, -1), 1),
    (u) => (u >= -1 && u <= 1 ? 1 : 0),
    (u) => op('ClampInt', [u], [-1, 1]),
    1e-7,
  ),
  {
    name: 'Add',
    args: [
      ['i', -1, 1],
      ['j', -1, 1],
    ],
    build: (x, y) => op('Add', [x!, y!]),
    f: (x, y) => x! + y!,
    df: [() => 1, () => 1],
  },
  {
    name: 'Subtract',
    args: [
      ['i', -1, 1],
      ['j', -1, 1],
    ],
    build: (x, y) => op('Subtract', [x!, y!]),
    f: (x, y) => x! - y!,
    df: [() => 1, () => -1],
  },
  {
    name: 'Mult',
    args: [
      ['i', -1, 1],
      ['j', -1, 1],
    ],
    build: (x, y) => op('Mult', [x!, y!]),
    f: (x, y) => x! * y!,
    df: [(_x, y) => y!, (x) => x!],
  },
  {
    name: 'Divide',
    args: [
      ['i', -1, 1],
      ['j', 0.5, 2],
    ],
    build: (x, y) => op('Divide', [x!, y!]),
    f: (x, y) => x! / y!,
    df: [(_x, y) => 1 / y!, (x, y) => -x! / (y! * y!)],
  },
  {
    name: 'Atan2',
    args: [
      ['i', -1, 1],
      ['j', -1, 1],
    ],
    build: (y, x) => op('Atan2', [y!, x!]),
    f: (y, x) => Math.atan2(y!, x!),
    df: [(y, x) => x! / (x! * x! + y! * y!), (y, x) => -y! / (x! * x! + y! * y!)],
  },
  {
    name: 'Powf',
    args: [
      ['i', 0, 2],
      ['j', -1.5, 1.5],
    ],
    build: (x, t) => op('Powf', [x!, t!]),
    f: (x, t) => x! ** t!,
    df: [(x, t) => t! * x! ** (t! - 1), (x, t) => Math.log(x!) * x! ** t!],
  },
  {
    name: 'Clamp',
    args: [
      ['i', -1.5, 1.5],
      ['j', -1, -0.2],
      ['j', 0.2, 1],
    ],
    build: (x, a, b) => op('Clamp', [x!, a!, b!]),
    f: (x, a, b) => (x! < a! ? a! : x! > b! ? b! : x!),
    df: [
      (x, a, b) => (x! >= a! && x! <= b! ? 1 : 0),
      (x, a) => (x! < a! ? 1 : 0),
      (x, _a, b) => (x! > b! ? 1 : 0),
    ],
    h: 1e-7,
  },
  {
    name: 'Mod',
    args: [
      ['i', -3, 3],
      ['j', 0.5, 2],
      ['j', -1, 1],
    ],
    build: (x, n, d) => op('Mod', [x!, n!, d!]),
    f: (x, n, d) => x! - n! * Math.floor((x! - d!) / n!),
    df: [() => 1, (x, n, d) => -Math.floor((x! - d!) / n!), () => 0],
    h: 1e-7,
  },
  {
    name: 'IfElse',
    args: [
      ['i', -1, 1],
      ['j', -1, 1],
      ['j', -1, 1],
    ],
    build: (c, a, b) => op('IfElse', [c!, a!, b!]),
    f: (c, a, b) => (c! >= 0 ? a! : b!),
    df: [() => 0, (c) => (c! >= 0 ? 1 : 0), (c) => (c! >= 0 ? 0 : 1)],
  },
  ...(
    [
      ['LessThan', (a: number, b: number) => a < b],
      ['LessOrEqual', (a: number, b: number) => a <= b],
      ['GreaterThan', (a: number, b: number) => a > b],
      ['GreaterOrEqual', (a: number, b: number) => a >= b],
      ['Equal', (a: number, b: number) => a === b],
      ['NotEqual', (a: number, b: number) => a !== b],
    ] as const
  ).map(
    ([name, cmp]): Case => ({
      name,
      // Integer-valued inputs so that Equal/NotEqual see both outcomes.
      args: [
        ['i', -2, 2],
        ['j', -2, 2],
      ],
      build: (x, y) => op(name, [op('Floor', [x!]), op('Floor', [y!])]),
      f: (x, y) => (cmp(Math.floor(x!), Math.floor(y!)) ? 1 : 0),
      df: 'zero',
    }),
  ),
];

/** Dense float64 value and gradients of T = sum_ij e_i . F(args). */
function dense(c: Case, data: Float64Array[], e: Float64Array) {
  const value = new Float64Array(sz.nI * D);
  const grads = c.args.map(([cat]) => new Float64Array((cat === 'i' ? sz.nI : sz.nJ) * D));
  const vals = new Array<number>(c.args.length);
  for (let i = 0; i < sz.nI; i++) {
    for (let j = 0; j < sz.nJ; j++) {
      for (let k = 0; k < D; k++) {
        c.args.forEach(([cat], a) => {
          vals[a] = data[a]![(cat === 'i' ? i : j) * D + k]!;
        });
        value[i * D + k]! += c.f(...vals);
        if (c.df === 'zero') continue;
        const w = e[i * D + k]!;
        c.df.forEach((d, a) => {
          grads[a]![(c.args[a]![0] === 'i' ? i : j) * D + k]! += w * d(...vals);
        });
      }
    }
  }
  return { value, grads };
}

describe('case 26: elementwise op sweep (JS backend, float64, M=300, N=500, D=3)', () => {
  CASES.forEach((c, n) => {
    it(c.name, () => {
      const r = rng(1000 + n);
      const vars = c.args.map(([cat], a) => Var(a, D, cat));
      const data: VarData = {};
      const arrays = c.args.map(([cat, lo, hi], a) => {
        const arr = uniform(r, (cat === 'i' ? sz.nI : sz.nJ) * D, lo, hi);
        data[`${cat}${a}`] = arr;
        return arr;
      });
      const F = c.build(...vars);
      const e = cotangent(F);
      const eData = uniform(r, sz.nI * D, -1, 1);
      data['i90'] = eData;
      const ref = dense(c, arrays, eData);

      expect(relErr(sumJ(F, data, sz.nI, sz.nJ), ref.value)).toBeLessThan(1e-12);
      vars.forEach((v, a) => {
        if (c.df === 'zero') {
          expect(isZero(grad(F, v, e))).toBe(true);
          return;
        }
        const g = kernelGrad(F, v, e, data, sz);
        expect(relErr(g, ref.grads[a]!), `${c.name}: d/d arg ${a} vs analytic`).toBeLessThan(1e-11);
        // Finite differences on one component (the op acts the same on each; the analytic check covers all).
        const ks = [n % D];
        const fd = fdGrad(F, v, e, data, sz, c.h ?? 1e-6, ks);
        expect(
          relErr(columns(g, D, ks), columns(fd, D, ks)),
          `${c.name}: d/d arg ${a} vs finite differences`,
        ).toBeLessThan(1e-6);
      });
    });
  });

  it('covers broadcasting of dimension-1 operands (Mult, Powf, Clamp): values and gradients', () => {
    const r = rng(7);
    const x = Var(0, D, 'i');
    const b = Var(1, 1, 'j');
    const t = Var(2, 1, 'p');
    const data: VarData = {
      i0: uniform(r, sz.nI * D, 0.1, 2),
      j1: uniform(r, sz.nJ, -1, 1),
      p2: new Float64Array([0.7]),
    };
    const F = op('Add', [op('Mult', [op('Powf', [x, t]), b]), op('Clamp', [x, b, IntCst(1)])]);
    const e = cotangent(F);
    data['i90'] = uniform(r, sz.nI * D, -1, 1);
    for (const v of [x, b, t]) {
      const g = kernelGrad(F, v, e, data, sz);
      expect(relErr(g, fdGrad(F, v, e, data, sz, 1e-7))).toBeLessThan(1e-6);
    }
  });
});
