/**
 * Symbolic gradients: conformance cases 6 (Grad of Grad of x + y is zero), 23 (sinc value and
 * gradient to 1e-10) and 24 (first and second gradients of a cosine formula), plus second-order
 * gradients of composite formulas checked against central finite differences of first-order ones.
 */
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/index.js';
import { type Cat, isZero, type Node } from '../../src/formula/node.js';
import { op } from '../../src/formula/opRegistry.js';
import { IntCst, Var } from '../../src/formula/ops/index.js';
import {
  cotangent,
  fdGrad,
  kernelGrad,
  maxAbsDiff,
  reduce,
  relErr,
  rng,
  type Sizes,
  sumJ,
  uniform,
  type VarData,
} from '../formula/helpers.js';

describe('case 6: Grad(Grad(x + y, x, e1), x, e2) is zero', () => {
  it('is the Zero node and reduces to zeros', () => {
    const x = Var(0, 3, 'i');
    const G = grad(grad(op('Add', [x, Var(1, 3, 'j')]), x, Var(2, 3, 'i')), x, Var(3, 3, 'i'));
    expect(isZero(G)).toBe(true);
    expect(G.dim).toBe(3);
    const out = sumJ(G, {}, 10, 10);
    expect(out.length).toBe(30);
    expect(out.every((v) => v === 0)).toBe(true);
  });
});

/** Reference g(u) = d/du sin(u)/u: a long Taylor series near 0, the closed form elsewhere. */
function sincDiffRef(u: number): number {
  if (Math.abs(u) >= 1) return (u * Math.cos(u) - Math.sin(u)) / (u * u);
  // sum_{k>=1} (-1)^k 2k u^(2k-1) / (2k+1)!
  let s = 0;
  let fact = 1; // (2k+1)!
  for (let k = 1; k < 25; k++) {
    fact *= 2 * k * (2 * k + 1);
    s += ((-1) ** k * 2 * k * u ** (2 * k - 1)) / fact;
  }
  return s;
}

describe('case 23: sinc(x) = SinXDivX(pi x), value and gradient to 1e-10 (float64)', () => {
  const r = rng(23);
  const xs = [...uniform(r, 5, 0, 2 * Math.PI), 0, 1e-9, -3e-5, 0.02, 0.0999, 0.1001, 1 / Math.PI];
  const n = xs.length;
  const x = Var(0, 1, 'i');
  const pi = Var(1, 1, 'p');
  const F = op('SinXDivX', [op('Mult', [pi, x])]);
  const data: VarData = {
    i0: new Float64Array(xs),
    p1: new Float64Array([Math.PI]),
    j9: new Float64Array([1]),
  };
  const sz: Sizes = { nI: n, nJ: 1 };

  it('value: sum over i', () => {
    const ref = xs.reduce((s, v) => s + (v === 0 ? 1 : Math.sin(Math.PI * v) / (Math.PI * v)), 0);
    const out = reduce(F, data, sz, 'i');
    expect(Math.abs(out[0]! - ref)).toBeLessThan(1e-10);
  });
  it('gradient with respect to x (0 at 0)', () => {
    const g = reduce(grad(F, x, Var(9, 1, 'j')), data, sz, 'j');
    const ref = xs.map((v) => Math.PI * sincDiffRef(Math.PI * v));
    expect(maxAbsDiff(g, ref)).toBeLessThan(1e-10);
    expect(g[5]).toBe(0);
  });
  it('second derivative (-pi^2/3 at 0) against finite differences of the first', () => {
    const e = Var(9, 1, 'j');
    const G1 = grad(F, x, e);
    const G2 = grad(G1, x, Var(8, 1, 'i'));
    const d2 = reduce(G2, { ...data, i8: new Float64Array(n).fill(1) }, sz, 'j');
    expect(Math.abs(d2[5]! + (Math.PI * Math.PI) / 3)).toBeLessThan(1e-12);
    const h = 1e-5;
    const g1 = (s: number) => reduce(G1, { ...data, i0: new Float64Array(xs.map((v) => v + s)) }, sz, 'j');
    const gp = g1(h);
    const gm = g1(-h);
    const fd = Array.from(gp, (v, k) => (v - gm[k]!) / (2 * h));
    expect(maxAbsDiff(d2, fd)).toBeLessThan(1e-8);
  });
});

interface Composite {
  name: string;
  F: Node;
  /** [first variable, second variable] pairs to check d/dv2 (e2 . d/dv1 (e1 . F)). */
  pairs: [Node, Node][];
  data: (r: () => number, sz: Sizes) => VarData;
}

const sz: Sizes = { nI: 8, nJ: 9 };
const x = Var(0, 3, 'i');
const y = Var(1, 3, 'j');
const b = Var(2, 1, 'j');
const g = Var(3, 1, 'p');
const S = Var(4, 9, 'j');
const yScalar = Var(5, 1, 'j');
const lo = Var(6, 1, 'p');
const hi = Var(7, 1, 'p');
const rows = (cat: Cat, s: Sizes) => (cat === 'i' ? s.nI : cat === 'j' ? s.nJ : 1);
const base = (r: () => number, s: Sizes): VarData => ({
  i0: uniform(r, s.nI * 3, -1, 1),
  j1: uniform(r, s.nJ * 3, -1, 1),
  j2: uniform(r, s.nJ, 0.5, 1.5),
  p3: new Float64Array([0.8]),
  j4: uniform(r, s.nJ * 9, -1, 1),
  j5: uniform(r, s.nJ, -1, 1),
  p6: new Float64Array([-0.4]),
  p7: new Float64Array([0.3]),
});

const COMPOSITES: Composite[] = [
  {
    name: 'gaussian Exp(-g SqDist(x, y)) b',
    F: op('Mult', [op('Exp', [op('Minus', [op('Mult', [g, op('SqDist', [x, y])])])]), b]),
    pairs: [
      [x, x],
      [x, y],
      [x, g],
      [y, b],
      [g, g],
    ],
    data: base,
  },
  {
    name: 'case 24: Sum(Cos(x) - y) b with a scalar y',
    F: op('Mult', [op('Sum', [op('Subtract', [op('Cos', [x]), yScalar])]), b]),
    pairs: [
      [x, x],
      [x, b],
      [yScalar, b],
    ],
    data: base,
  },
  {
    name: 'cauchy and laplacian: Inv(1 + SqDist) + Exp(-Norm2(x - y)) + Log(1 + Square(x))',
    F: op('Add', [
      op('Add', [
        op('Inv', [op('Add', [IntCst(1), op('SqDist', [x, y])])]),
        op('Exp', [op('Minus', [op('Norm2', [op('Subtract', [x, y])])])]),
      ]),
      op('Log', [op('Add', [IntCst(1), op('Square', [x])])]),
    ]),
    pairs: [
      [x, x],
      [y, x],
      [y, y],
    ],
    data: base,
  },
  {
    name: 'Normalize, Scalprod, WeightedSqDist (full), Powf, Atan2, XLogX',
    F: op('Add', [
      op('Mult', [
        op('Scalprod', [op('Normalize', [op('Subtract', [x, y])]), y]),
        op('WeightedSqDist', [S, x, y]),
      ]),
      op('Sum', [
        op('Add', [
          op('Powf', [op('Add', [op('Square', [x]), b]), g]),
          op('Add', [op('Atan2', [x, op('Add', [b, y])]), op('XLogX', [op('Add', [op('Square', [y]), b])])]),
        ]),
      ]),
    ]),
    pairs: [
      [x, x],
      [x, y],
      [y, S],
      [S, x],
      [g, x],
      [b, b],
    ],
    data: base,
  },
  {
    name: 'case 20: Exp(-Sum(Clamp(x y, lo, hi))^2), and Max/ReLU/Abs/Sqrt',
    F: op('Add', [
      op('Exp', [op('Minus', [op('Square', [op('Sum', [op('Clamp', [op('Mult', [x, y]), lo, hi])])])])]),
      op('Mult', [
        op('Max', [op('Mult', [x, y])]),
        op('Sqrt', [op('Add', [op('Abs', [op('Sum', [op('ReLU', [op('Add', [x, y])])])]), b])]),
      ]),
    ]),
    pairs: [
      [x, x],
      [x, y],
      [y, lo],
    ],
    data: base,
  },
  {
    name: 'TensorProd, MatVecMult, VecMatMult, Sin, Asin, Pow(-3), Rsqrt',
    F: op('Add', [
      op('Scalprod', [
        op('MatVecMult', [op('TensorProd', [op('Sin', [x]), y]), op('Asin', [op('Mult', [y, hi])])]),
        x,
      ]),
      op('Add', [
        op('Sum', [op('VecMatMult', [op('Pow', [op('Add', [op('Square', [x]), b])], [-3]), S])]),
        op('Sum', [op('Rsqrt', [op('Add', [b, op('Square', [y])])])]),
      ]),
    ]),
    pairs: [
      [x, x],
      [x, S],
      [y, b],
    ],
    data: base,
  },
];

describe('second-order gradients against finite differences of first-order ones', () => {
  COMPOSITES.forEach((c, n) => {
    it(c.name, () => {
      const r = rng(300 + n);
      const data = c.data(r, sz);
      const e1 = cotangent(c.F, 90);
      data['i90'] = uniform(r, sz.nI * c.F.dim, -1, 1);
      for (const [v1, v2] of c.pairs) {
        const G1 = grad(c.F, v1, e1);
        // First order, against finite differences of the formula itself.
        expect(
          relErr(kernelGrad(c.F, v1, e1, data, sz), fdGrad(c.F, v1, e1, data, sz)),
          `${c.name}: d/dv1`,
        ).toBeLessThan(1e-7);
        const cat = v1.params[1] === 0 ? 'i' : v1.params[1] === 1 ? 'j' : 'p';
        const e2 = Var(91, v1.dim, cat);
        data[`${cat}91`] = uniform(r, rows(cat, sz) * v1.dim, -1, 1);
        const g2 = kernelGrad(G1, v2, e2, data, sz);
        const fd = fdGrad(G1, v2, e2, data, sz);
        expect(relErr(g2, fd), `${c.name}: d/dv2 of d/dv1`).toBeLessThan(1e-6);
        expect(
          Math.max(...Array.from(g2, Math.abs)),
          `${c.name}: a nonzero second derivative`,
        ).toBeGreaterThan(1e-3);
      }
    });
  });
});
