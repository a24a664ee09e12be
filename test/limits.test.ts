import { describe, expect, it } from 'vitest';
import { genred, LazyTensorError, Vi, Vj } from '../src/index.js';
import { MAX_DIM, MAX_FORMULA_LENGTH, MAX_GENERATED_CODE, MAX_K, MAX_KERNEL_SCALARS } from '../src/limits.js';
import { mulberry32 } from '../src/random.js';
import { expectClose } from './helpers/check.js';

/**
 * The size limits of src/limits.ts: sizes at a limit work (values against dense references in the
 * test), sizes over it throw a LazyTensorError naming the limit, before any code is generated.
 * Before the limits, these sizes overflowed the stack in the generated JavaScript ("Maximum call
 * stack size exceeded"), or ran for minutes and exhausted memory (OneHot(1e7)).
 */
const js = { backend: 'js' } as const;

function points(seed: number, n: number, d: number): { data: Float64Array; shape: number[] } {
  const r = mulberry32(seed);
  return { data: Float64Array.from({ length: n * d }, () => r() - 0.5), shape: [n, d] };
}

function expectLimit(f: () => unknown, name: string, value: number): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(LazyTensorError);
  expect((err as Error).message).toContain(`${name} = `);
  expect((err as Error).message).toContain(String(value));
}

describe('MAX_DIM', () => {
  it('is 10,000, and covers the D = 990 of the conformance suite', () => {
    expect(MAX_DIM).toBe(10_000);
  });

  it('a variable and a squared distance at MAX_DIM work', () => {
    const x = points(1, 2, MAX_DIM);
    const y = points(2, 3, MAX_DIM);
    const out = Vi(x).sqdist(Vj(y)).sum('j', js);
    const ref = [0, 1].map((i) => {
      let s = 0;
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < MAX_DIM; k++) s += (x.data[i * MAX_DIM + k]! - y.data[j * MAX_DIM + k]!) ** 2;
      return s;
    });
    expectClose(out.data, ref, 1e-12);
  });

  it('variables and results over MAX_DIM are rejected where they are built', () => {
    expectLimit(() => Vi(points(1, 2, MAX_DIM + 1)), 'MAX_DIM', MAX_DIM + 1);
    const b = Vi(points(3, 2, 1));
    expectLimit(() => b.onehot(MAX_DIM + 1), 'MAX_DIM', MAX_DIM + 1);
    expectLimit(() => b.onehot(1e7), 'MAX_DIM', 1e7);
    expectLimit(() => b.onehot(1e6), 'MAX_DIM', 1e6);
    // 316 x 316 = 99,856 components.
    expectLimit(() => Vi(points(4, 2, 316)).tensorprod(Vj(points(5, 2, 316))), 'MAX_DIM', 316 * 316);
    expectLimit(() => genred('SumT(b, 100000)', ['b = Vj(1)'], 'Sum', { axis: 'j' }), 'MAX_DIM', 100000);
    expectLimit(() => genred('OneHot(b, 100000)', ['b = Vj(1)'], 'Sum', { axis: 'j' }), 'MAX_DIM', 100000);
  });

  it('results of dimension MAX_DIM work: TensorProd 100 x 100, SumT, OneHot', () => {
    const a = points(6, 2, 100);
    const c = points(7, 3, 100);
    const out = Vi(a).tensorprod(Vj(c)).sum(-1).sum('j', js);
    const ref = [0, 1].map((i) => {
      let s = 0;
      for (let j = 0; j < 3; j++) {
        let sa = 0;
        let sc = 0;
        for (let k = 0; k < 100; k++) {
          sa += a.data[i * 100 + k]!;
          sc += c.data[j * 100 + k]!;
        }
        s += sa * sc;
      }
      return s;
    });
    expectClose(out.data, ref, 1e-12);
    const sumT = genred(`Sum(SumT(b, ${MAX_DIM}))`, ['b = Vj(1)'], 'Sum', { axis: 'j', backend: 'js' });
    const bs = { data: Float64Array.from([0.5, 0.25]), shape: [2, 1] };
    expect(Array.from((sumT(bs) as { data: Float64Array }).data)).toEqual([0.75 * MAX_DIM]);
    const idx = { data: Float64Array.from([3, MAX_DIM - 1]), shape: [2, 1] };
    const hot = Vi(idx)
      .onehot(MAX_DIM)
      .elem(MAX_DIM - 1)
      .sum('j', js);
    expect(Array.from(hot.data)).toEqual([0, 1]);
  });
});

describe('MAX_K', () => {
  it('argKmin at K = MAX_K works; K over it is rejected', () => {
    const M = MAX_K + 7;
    const x = points(8, 2, 1);
    const y = points(9, M, 1);
    const idx = Vi(x).sqdist(Vj(y)).argKmin(MAX_K, 'j', js);
    expect(idx.shape).toEqual([2, MAX_K]);
    for (let i = 0; i < 2; i++) {
      const order = Array.from({ length: M }, (_, j) => j).sort(
        (p, q) => (x.data[i]! - y.data[p]!) ** 2 - (x.data[i]! - y.data[q]!) ** 2 || p - q,
      );
      expect(Array.from(idx.data.subarray(i * MAX_K, (i + 1) * MAX_K))).toEqual(order.slice(0, MAX_K));
    }
    const big = Vi(x).sqdist(Vj(points(10, 2500, 1)));
    expectLimit(() => big.argKmin(2000, 'j', js), 'MAX_K', 2000);
    expectLimit(() => big.kmin(MAX_K + 1, 'j', js), 'MAX_K', MAX_K + 1);
    const g = genred('SqDist(x, y)', ['x = Vi(1)', 'y = Vj(1)'], 'ArgKMin', { axis: 'j', K: 2000 });
    expectLimit(() => g(x, points(10, 2500, 1)), 'MAX_K', 2000);
  });
});

describe('MAX_KERNEL_SCALARS', () => {
  it('a kernel of exactly MAX_KERNEL_SCALARS scalars works; one more operation is rejected', () => {
    // x, y, x - y, exp(x - y): 4 x 10,000 scalars, plus the 10,000 sums of the state.
    expect(MAX_KERNEL_SCALARS).toBe(5 * MAX_DIM);
    const x = points(11, 2, MAX_DIM);
    const y = points(12, 2, MAX_DIM);
    const e = Vi(x).sub(Vj(y)).exp();
    const out = e.sum('j', js);
    const ref = new Float64Array(2 * MAX_DIM);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++)
        for (let k = 0; k < MAX_DIM; k++)
          ref[i * MAX_DIM + k]! += Math.exp(x.data[i * MAX_DIM + k]! - y.data[j * MAX_DIM + k]!);
    expectClose(out.data, ref, 1e-14);
    expectLimit(() => e.exp().sum('j', js), 'MAX_KERNEL_SCALARS', 6 * MAX_DIM);
  });

  it('is checked for K-min states: K x dim slots', () => {
    const f = Vi(points(13, 2, 100)).sub(Vj(points(14, 300, 100)));
    // x, y, x - y: 300 scalars; state: 2 x 300 x 100 = 60,000.
    expectLimit(() => f.kmin(300, 'j', js), 'MAX_KERNEL_SCALARS', 3 * 100 + 60_000);
  });

  it('the generated-code backstop is far above what MAX_KERNEL_SCALARS allows', () => {
    expect(MAX_GENERATED_CODE).toBeGreaterThan(100 * MAX_KERNEL_SCALARS);
  });
});

describe('MAX_FORMULA_LENGTH', () => {
  it('formula strings over the limit are rejected before parsing', () => {
    const long = `x${'+x'.repeat(MAX_FORMULA_LENGTH / 2)}`;
    expectLimit(() => genred(long, ['x = Vi(1)'], 'Sum', { axis: 'j' }), 'MAX_FORMULA_LENGTH', long.length);
    const huge = 'x'.repeat(1e6);
    expectLimit(() => genred(huge, ['x = Vi(1)'], 'Sum', { axis: 'j' }), 'MAX_FORMULA_LENGTH', 1e6);
  });

  it('a formula just under the limit parses and reduces', () => {
    const n = 2000;
    const src = `x${'+x'.repeat(n)}`.padEnd(MAX_FORMULA_LENGTH, ' ');
    expect(src.length).toBe(MAX_FORMULA_LENGTH);
    const f = genred(src, ['x = Vi(1)'], 'Sum', { axis: 'j', backend: 'js' });
    const out = f({ data: Float64Array.from([0.5, 2]), shape: [2, 1] }) as { data: Float64Array };
    expect(Array.from(out.data)).toEqual([0.5 * (n + 1), 2 * (n + 1)]);
  });
});
