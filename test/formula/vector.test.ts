/**
 * Vector ops (per (i, j) pair): values against dense float64 references written here, gradients
 * with respect to the i- and j-variables against central finite differences through the kernels.
 */
import { describe, expect, it } from 'vitest';
import type { Node } from '../../src/formula/node.js';
import { op } from '../../src/formula/opRegistry.js';
import { Var } from '../../src/formula/ops/index.js';
import {
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

const sz: Sizes = { nI: 12, nJ: 17 };

interface VCase {
  name: string;
  dx: number;
  dy: number;
  lo?: number;
  hi?: number;
  build: (x: Node, y: Node) => Node;
  /** Dense reference of F at one pair. */
  f: (x: Float64Array, y: Float64Array) => number[];
  /** False for piecewise-constant outputs (gradient must be exactly zero). */
  smooth?: boolean;
}

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
const sq = (a: ArrayLike<number>) => sum(Array.from(a, (v) => v * v));
const argBest = (a: Float64Array, better: (u: number, v: number) => boolean) => {
  let b = 0;
  for (let k = 1; k < a.length; k++) if (better(a[k]!, a[b]!)) b = k;
  return b;
};
const matvec = (A: ArrayLike<number>, v: ArrayLike<number>) => {
  const n = v.length;
  const m = A.length / n;
  return Array.from({ length: m }, (_, i) => sum(Array.from(v, (x, j) => A[i * n + j]! * x)));
};
const vecmat = (v: ArrayLike<number>, A: ArrayLike<number>) => {
  const m = v.length;
  const n = A.length / m;
  return Array.from({ length: n }, (_, j) => sum(Array.from(v, (x, i) => x * A[i * n + j]!)));
};

const CASES: VCase[] = [
  {
    name: 'Sum',
    dx: 4,
    dy: 4,
    build: (x, y) => op('Sum', [op('Mult', [x, y])]),
    f: (x, y) => [sum(x.map((v, k) => v * y[k]!))],
  },
  {
    name: 'SumT',
    dx: 3,
    dy: 1,
    build: (x, y) => op('Mult', [op('SumT', [y], [3]), x]),
    f: (x, y) => Array.from(x, (v) => v * y[0]!),
  },
  {
    name: 'Max',
    dx: 5,
    dy: 5,
    build: (x, y) => op('Max', [op('Mult', [x, y])]),
    f: (x, y) => [Math.max(...x.map((v, k) => v * y[k]!))],
  },
  {
    name: 'Min',
    dx: 5,
    dy: 5,
    build: (x, y) => op('Min', [op('Mult', [x, y])]),
    f: (x, y) => [Math.min(...x.map((v, k) => v * y[k]!))],
  },
  {
    name: 'ArgMax',
    dx: 5,
    dy: 5,
    build: (x, y) => op('ArgMax', [op('Mult', [x, y])]),
    f: (x, y) => [
      argBest(
        x.map((v, k) => v * y[k]!),
        (u, v) => u > v,
      ),
    ],
    smooth: false,
  },
  {
    name: 'ArgMin',
    dx: 5,
    dy: 5,
    build: (x, y) => op('ArgMin', [op('Mult', [x, y])]),
    f: (x, y) => [
      argBest(
        x.map((v, k) => v * y[k]!),
        (u, v) => u < v,
      ),
    ],
    smooth: false,
  },
  {
    name: 'Elem',
    dx: 4,
    dy: 1,
    build: (x, y) => op('Mult', [op('Elem', [x], [2]), y]),
    f: (x, y) => [x[2]! * y[0]!],
  },
  {
    name: 'ElemT',
    dx: 4,
    dy: 1,
    build: (x, y) => op('Mult', [op('ElemT', [op('Mult', [op('Elem', [x], [1]), y])], [4, 3]), x]),
    f: (x, y) => [0, 0, 0, x[1]! * y[0]! * x[3]!],
  },
  {
    name: 'Extract',
    dx: 5,
    dy: 2,
    build: (x, y) => op('Mult', [op('Extract', [x], [1, 2]), y]),
    f: (x, y) => [x[1]! * y[0]!, x[2]! * y[1]!],
  },
  {
    name: 'ExtractT',
    dx: 4,
    dy: 2,
    build: (x, y) => op('Mult', [op('ExtractT', [y], [1, 4]), x]),
    f: (x, y) => [0, x[1]! * y[0]!, x[2]! * y[1]!, 0],
  },
  {
    name: 'Concat',
    dx: 2,
    dy: 3,
    build: (x, y) => op('Exp', [op('Concat', [x, op('Square', [y])])]),
    f: (x, y) => [...x, ...y.map((v) => v * v)].map(Math.exp),
  },
  {
    name: 'OneHot',
    dx: 2,
    dy: 2,
    lo: 0,
    hi: 2,
    build: (x, y) => op('OneHot', [op('Add', [op('Elem', [x], [0]), op('Elem', [y], [1])])], [5]),
    f: (x, y) => {
      const r = Math.floor(x[0]! + y[1]! + 0.5);
      return [0, 1, 2, 3, 4].map((k) => (k === r ? 1 : 0));
    },
    smooth: false,
  },
  {
    name: 'SqNorm2',
    dx: 3,
    dy: 3,
    build: (x, y) => op('SqNorm2', [op('Mult', [x, y])]),
    f: (x, y) => [sq(x.map((v, k) => v * y[k]!))],
  },
  {
    name: 'Norm2',
    dx: 3,
    dy: 3,
    build: (x, y) => op('Norm2', [op('Subtract', [x, y])]),
    f: (x, y) => [Math.sqrt(sq(x.map((v, k) => v - y[k]!)))],
  },
  {
    name: 'Normalize',
    dx: 3,
    dy: 3,
    build: (x, y) => op('Normalize', [op('Subtract', [x, y])]),
    f: (x, y) => {
      const d = x.map((v, k) => v - y[k]!);
      const n = Math.sqrt(sq(d));
      return Array.from(d, (v) => v / n);
    },
  },
  {
    name: 'SqDist',
    dx: 3,
    dy: 3,
    build: (x, y) => op('SqDist', [x, y]),
    f: (x, y) => [sq(x.map((v, k) => v - y[k]!))],
  },
  {
    name: 'Scalprod',
    dx: 4,
    dy: 4,
    build: (x, y) => op('Scalprod', [x, y]),
    f: (x, y) => [sum(x.map((v, k) => v * y[k]!))],
  },
  {
    name: 'WeightedSqNorm iso',
    dx: 1,
    dy: 3,
    build: (s, y) => op('WeightedSqNorm', [s, y]),
    f: (s, y) => [s[0]! * sq(y)],
  },
  {
    name: 'WeightedSqNorm diag',
    dx: 3,
    dy: 3,
    build: (s, y) => op('WeightedSqNorm', [s, y]),
    f: (s, y) => [sum(y.map((v, k) => s[k]! * v * v))],
  },
  {
    name: 'WeightedSqNorm full',
    dx: 9,
    dy: 3,
    build: (s, y) => op('WeightedSqNorm', [s, y]),
    f: (s, y) => [sum(y.map((v, k) => v * sum(y.map((w, l) => s[k * 3 + l]! * w))))],
  },
  {
    name: 'WeightedSqDist full',
    dx: 4,
    dy: 6,
    build: (x, y) =>
      op('WeightedSqDist', [
        op('Extract', [op('Concat', [x, x])], [0, 4]),
        op('Extract', [y], [0, 2]),
        op('Extract', [y], [2, 2]),
      ]),
    f: (x, y) => {
      const d = [y[0]! - y[2]!, y[1]! - y[3]!];
      return [sum(d.map((v, k) => v * sum(d.map((w, l) => x[k * 2 + l]! * w))))];
    },
  },
  {
    name: 'WeightedSqDist diag',
    dx: 3,
    dy: 3,
    build: (x, y) => op('WeightedSqDist', [op('Square', [y]), x, op('Sin', [y])]),
    f: (x, y) => [sum(x.map((v, k) => y[k]! * y[k]! * (v - Math.sin(y[k]!)) ** 2))],
  },
  { name: 'MatVecMult', dx: 6, dy: 3, build: (A, v) => op('MatVecMult', [A, v]), f: (A, v) => matvec(A, v) },
  { name: 'VecMatMult', dx: 2, dy: 6, build: (v, A) => op('VecMatMult', [v, A]), f: (v, A) => vecmat(v, A) },
  {
    name: 'TensorProd',
    dx: 2,
    dy: 3,
    build: (a, b) => op('TensorProd', [a, b]),
    f: (a, b) => Array.from(a).flatMap((u) => Array.from(b, (v) => u * v)),
  },
];

describe('vector ops: values and gradients (JS backend, float64)', () => {
  CASES.forEach((c, n) => {
    it(c.name, () => {
      const r = rng(500 + n);
      const x = Var(0, c.dx, 'i');
      const y = Var(1, c.dy, 'j');
      const data: VarData = {
        i0: uniform(r, sz.nI * c.dx, c.lo ?? -1, c.hi ?? 1),
        j1: uniform(r, sz.nJ * c.dy, c.lo ?? -1, c.hi ?? 1),
      };
      const F = c.build(x, y);
      const ref = new Float64Array(sz.nI * F.dim);
      for (let i = 0; i < sz.nI; i++) {
        for (let j = 0; j < sz.nJ; j++) {
          const v = c.f(
            data.i0!.subarray(i * c.dx, (i + 1) * c.dx),
            data.j1!.subarray(j * c.dy, (j + 1) * c.dy),
          );
          expect(v.length).toBe(F.dim);
          v.forEach((t, k) => {
            ref[i * F.dim + k]! += t;
          });
        }
      }
      expect(relErr(sumJ(F, data, sz.nI, sz.nJ), ref)).toBeLessThan(1e-13);
      const e = cotangent(F);
      data['i90'] = uniform(r, sz.nI * F.dim, -1, 1);
      for (const v of [x, y]) {
        const g = kernelGrad(F, v, e, data, sz);
        if (c.smooth === false) {
          expect(Array.from(g).every((t) => t === 0)).toBe(true);
          continue;
        }
        expect(
          relErr(g, fdGrad(F, v, e, data, sz)),
          `${c.name}: gradient vs finite differences`,
        ).toBeLessThan(1e-7);
      }
    });
  });
});
