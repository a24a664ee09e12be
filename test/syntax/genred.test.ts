import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { genred } from '../../src/genred.js';
import type { FloatArray, NDArray } from '../../src/ndarray.js';

/** Fixed-seed uniform generator in [lo, hi) (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return (lo = 0, hi = 1) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  };
}

type DT = 'float32' | 'float64';

/** A random [n, d] array in the dtype, plus its values as float64 rows (after rounding to the dtype). */
function rand(r: ReturnType<typeof rng>, n: number, d: number, dt: DT, lo = -1, hi = 1) {
  const data = dt === 'float32' ? new Float32Array(n * d) : new Float64Array(n * d);
  for (let k = 0; k < n * d; k++) data[k] = r(lo, hi);
  const rows = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
  return { a: { data, shape: [n, d] } as NDArray<FloatArray>, rows };
}

function expectClose(got: NDArray, want: number[][], tol: number): void {
  expect(got.shape).toEqual([want.length, want[0]!.length]);
  const w = want.flat();
  w.forEach((v, k) => {
    const g = got.data[k]!;
    if (Math.abs(g - v) > tol * Math.max(1, Math.abs(v))) {
      throw new Error(`entry ${k}: got ${g}, expected ${v} (tol ${tol})`);
    }
  });
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k]!, 0);
const sqd = (a: number[], b: number[]) => a.reduce((s, v, k) => s + (v - b[k]!) ** 2, 0);

const M = 10; // i
const N = 6; // j
const TOL: Record<DT, number> = { float64: 1e-12, float32: 1e-6 };

describe('genred conformance cases (dense float64 references)', () => {
  it('case 1: SqNorm2(x-y), Sum over i (the default axis 0) gives exactly [63, 90]', () => {
    const f = genred('SqNorm2(x-y)', ['x = Vi(3)', 'y = Vj(3)'], 'Sum');
    const out = f(
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      [
        [3, 4, 5],
        [6, 7, 8],
      ],
    );
    expect(out.shape).toEqual([2, 1]);
    expect(Array.from(out.data)).toEqual([63, 90]);
    expect(out.data).toBeInstanceOf(Float64Array);
    // Float32 too, and axis written as 'i'.
    const out32 = genred('SqNorm2(x-y)', ['x = Vi(3)', 'y = Vj(3)'], 'Sum', { axis: 'i' })(
      { data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), shape: [3, 3] },
      { data: Float32Array.of(3, 4, 5, 6, 7, 8), shape: [2, 3] },
    );
    expect(out32.data).toEqual(Float32Array.of(63, 90));
  });

  for (const dt of ['float64', 'float32'] as DT[]) {
    describe(dt, () => {
      const r = rng(dt === 'float64' ? 11 : 12);
      const x = rand(r, M, 3, dt);
      const y = rand(r, N, 3, dt);
      const a = rand(r, N, 1, dt);
      const p = dt === 'float32' ? Math.fround(0.37) : 0.37;
      const F = (i: number, j: number) => (p - a.rows[j]![0]!) ** 2 * Math.exp(-sqd(x.rows[i]!, y.rows[j]!));
      const aliases = ['p = Pm(1)', 'a = Vj(1)', 'x = Vi(3)', 'y = Vj(3)'];

      it('case 2: Square(p-a)*Exp(x+y), Sum over j', () => {
        const f = genred('Square(p-a)*Exp(x+y)', aliases, 'Sum', { axis: 1 });
        const want = x.rows.map((xi) =>
          [0, 1, 2].map((d) =>
            y.rows.reduce((s, yj, j) => s + (p - a.rows[j]![0]!) ** 2 * Math.exp(xi[d]! + yj[d]!), 0),
          ),
        );
        const out = f(p, a.a, x.a, y.a);
        expect(out.data).toBeInstanceOf(dt === 'float32' ? Float32Array : Float64Array);
        expectClose(out, want, TOL[dt]);
      });

      it('case 3: Square(p-a)*Exp(-SqNorm2(x-y)), LogSumExp over j', () => {
        const f = genred('Square(p-a)*Exp(-SqNorm2(x-y))', aliases, 'LogSumExp', { axis: 'j' });
        const want = x.rows.map((_, i) => {
          const v = y.rows.map((_, j) => F(i, j));
          const m = Math.max(...v);
          return [m + Math.log(v.reduce((s, t) => s + Math.exp(t - m), 0))];
        });
        expectClose(f(p, a.a, x.a, y.a), want, TOL[dt]);
      });

      it('case 4: same F, SumSoftMaxWeight with weight y', () => {
        const f = genred('Square(p-a)*Exp(-SqNorm2(x-y))', aliases, 'SumSoftMaxWeight', {
          axis: 'j',
          formula2: 'y',
        });
        const want = x.rows.map((_, i) => {
          const w = y.rows.map((_, j) => Math.exp(F(i, j)));
          const z = w.reduce((s, t) => s + t, 0);
          return [0, 1, 2].map((d) => y.rows.reduce((s, yj, j) => s + (w[j]! / z) * yj[d]!, 0));
        });
        expectClose(f(p, a.a, x.a, y.a), want, TOL[dt]);
      });

      it('case 5: Square(p-Var(3,1,1))*Exp(-SqNorm2(y-x)) with indexed aliases', () => {
        const f = genred(
          'Square(p-Var(3,1,1))*Exp(-SqNorm2(y-x))',
          ['p=Pm(0,1)', 'x=Vi(1,3)', 'y=Vj(2,3)'],
          'Sum',
          {
            axis: 1,
          },
        );
        expect(f.nArgs).toBe(4);
        const want = x.rows.map((_, i) => [y.rows.reduce((s, _y, j) => s + F(i, j), 0)]);
        expectClose(f(p, x.a, y.a, a.a), want, TOL[dt]);
      });

      it('case 6: Grad(Grad(x+Var(1,3,1), x, Var(2,3,0)), x, Var(3,3,0)) is zero', () => {
        const f = genred('Grad(Grad(x+Var(1,3,1), x, Var(2,3,0)), x, Var(3,3,0))', ['x=Vi(0,3)'], 'Sum', {
          axis: 1,
        });
        const out = f(x.a, y.a, x.a, x.a);
        expect(out.shape).toEqual([M, 3]);
        expect(Array.from(out.data).every((v) => v === 0)).toBe(true);
      });

      it('case 7: SqDist(x,y), ArgKMin K=3 over j', () => {
        const f = genred('SqDist(x,y)', ['x = Vi(3)', 'y = Vj(3)'], 'ArgKMin', { axis: 1, K: 3 });
        const out = f(x.a, y.a);
        expect(out.data).toBeInstanceOf(Int32Array);
        const want = x.rows.map((xi) =>
          y.rows
            .map((yj, j) => [sqd(xi, yj), j] as const)
            .sort((u, v) => u[0] - v[0] || u[1] - v[1])
            .slice(0, 3)
            .map((u) => u[1]),
        );
        expect(out.shape).toEqual([M, 3]);
        expect(Array.from(out.data)).toEqual(want.flat());
      });

      it('case 8: Pow((X|Y),2)*((Elem(P,0)*X)+(Elem(P,1)*Y)), Sum over j', () => {
        const f = genred(
          'Pow((X|Y),2)*((Elem(P,0)*X)+(Elem(P,1)*Y))',
          ['P = Pm(2)', 'X = Vi(3)', 'Y = Vj(3)'],
          'Sum',
          {
            axis: 1,
          },
        );
        const P = dt === 'float32' ? [Math.fround(0.6), Math.fround(-1.3)] : [0.6, -1.3];
        const want = x.rows.map((xi) =>
          [0, 1, 2].map((d) =>
            y.rows.reduce((s, yj) => s + dot(xi, yj) ** 2 * (P[0]! * xi[d]! + P[1]! * yj[d]!), 0),
          ),
        );
        expectClose(f(P, x.a, y.a), want, TOL[dt]);
      });
    });
  }
});

describe('genred arguments and results', () => {
  const r = rng(7);
  const x = rand(r, 5, 3, 'float64');
  const y = rand(r, 4, 3, 'float64');
  const gauss = (c: number) => (xi: number[], yj: number[]) => Math.exp(-c * sqd(xi, yj));

  it('the API example: Exp(-SqDist(x,y)*g) * b, g given as a number', () => {
    const f = genred('Exp(-SqDist(x,y)*g) * b', ['x = Vi(3)', 'y = Vj(3)', 'b = Vj(1)', 'g = Pm(1)'], 'Sum', {
      axis: 'j',
    });
    const b = [[1], [2], [3], [4]];
    const want = x.rows.map((xi) => [y.rows.reduce((s, yj, j) => s + gauss(0.5)(xi, yj) * b[j]![0]!, 0)]);
    expectClose(f(x.a, y.a, b, 0.5), want, 1e-12);
    expectClose(f(x.a, y.a, b, [0.5]), want, 1e-12);
  });

  it('float literals are runtime parameters: same IR, different values', () => {
    const f1 = genred('Exp(-0.5*SqDist(x,y))', ['x = Vi(3)', 'y = Vj(3)'], 'Sum', { axis: 1 });
    const f2 = genred('Exp(-1.25*SqDist(x,y))', ['x = Vi(3)', 'y = Vj(3)'], 'Sum', { axis: 1 });
    expect(f1.formula).toBe(f2.formula);
    for (const [f, c] of [
      [f1, 0.5],
      [f2, 1.25],
    ] as const) {
      expectClose(
        f(x.a, y.a),
        x.rows.map((xi) => [y.rows.reduce((s, yj) => s + gauss(c)(xi, yj), 0)]),
        1e-12,
      );
    }
  });

  it('Min_ArgMin, ArgMin, KMin shapes and types', () => {
    const al = ['x = Vi(3)', 'y = Vj(3)'];
    const d = x.rows.map((xi) => y.rows.map((yj) => sqd(xi, yj)));
    const both = genred('SqDist(x,y)', al, 'Min_ArgMin', { axis: 1 })(x.a, y.a);
    // Values to 1e-12: the native backend may fuse multiply-adds (-ffp-contract=fast).
    const close = (got: ArrayLike<number>, want: number[]) =>
      want.forEach((w, k) =>
        expect(Math.abs(got[k]! - w)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w))),
      );
    close(
      both.values.data,
      d.map((row) => Math.min(...row)),
    );
    expect(Array.from(both.indices.data)).toEqual(d.map((row) => row.indexOf(Math.min(...row))));
    const am = genred('SqDist(x,y)', al, 'ArgMax', { axis: 1 })(x.a, y.a);
    expect(am.data).toBeInstanceOf(Int32Array);
    expect(Array.from(am.data)).toEqual(d.map((row) => row.indexOf(Math.max(...row))));
    const km = genred('SqDist(x,y)', al, 'KMin', { axis: 1, optArg: 2 })(x.a, y.a);
    expect(km.shape).toEqual([5, 2]);
    close(
      km.data,
      d.flatMap((row) => [...row].sort((u, v) => u - v).slice(0, 2)),
    );
    const kv = genred('x-y', al, 'KMin', { axis: 1, K: 2 })(x.a, y.a);
    expect(kv.shape).toEqual([5, 2, 3]);
    const ka = genred('SqDist(x,y)', al, 'KMin_ArgKMin', { axis: 'j', K: 4 })(x.a, y.a);
    expect(ka.values.shape).toEqual([5, 4]);
    expect(ka.indices.shape).toEqual([5, 4]);
  });

  it('LogSumExpWeight with formula2', () => {
    const f = genred('-SqDist(x,y)', ['x = Vi(3)', 'y = Vj(3)', 'b = Vj(2)'], 'LogSumExpWeight', {
      axis: 1,
      formula2: 'b',
    });
    const b = [
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ];
    const want = x.rows.map((xi) =>
      [0, 1].map((c) => Math.log(y.rows.reduce((s, yj, j) => s + Math.exp(-sqd(xi, yj)) * b[j]![c]!, 0))),
    );
    expectClose(f(x.a, y.a, b), want, 1e-12);
  });

  it('batch dimensions broadcast', () => {
    const xb = rand(r, 2 * 5, 3, 'float64');
    const f = genred('SqDist(x,y)', ['x = Vi(3)', 'y = Vj(3)'], 'Sum', { axis: 1 });
    const out = f({ data: xb.a.data, shape: [2, 5, 3] }, y.a);
    expect(out.shape).toEqual([2, 5, 1]);
    const want = xb.rows.map((xi) => y.rows.reduce((s, yj) => s + sqd(xi, yj), 0));
    Array.from(out.data).forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 12));
  });

  it('dtype, backend and accumulator options', () => {
    const al = ['x = Vi(3)', 'y = Vj(3)'];
    const f32 = genred('SqDist(x,y)', al, 'Sum', { axis: 1, dtype: 'float32', accumulator: 'kahan' })(
      x.rows,
      y.rows,
    );
    expect(f32.data).toBeInstanceOf(Float32Array);
    const want = x.rows.map((xi) => [y.rows.reduce((acc, yj) => acc + sqd(xi, yj), 0)]);
    expectClose(f32, want, 1e-6);
    expect(() => genred('SqDist(x,y)', al, 'Sum', { dtype: 'float32' })(x.a, y.a)).toThrow(
      /mixed dtypes: argument 0 \('x'\), Vi\(0, 3\) is float64, opts.dtype is float32/,
    );
    expect(() => genred('SqDist(x,y)', al, 'Sum', { backend: 'nope' })(x.a, y.a)).toThrow(
      /unknown backend 'nope'/,
    );
    expectClose(genred('SqDist(x,y)', al, 'Sum', { axis: 1, backend: 'js' })(x.a, y.a), want, 1e-12);
  });

  it('block-sparse ranges are passed through', () => {
    // Rows 0-2 see columns 0-1, rows 3-4 see columns 2-3 (and the transpose for axis i).
    const i32 = (...v: number[]) => Int32Array.from(v);
    const ranges = {
      ranges_i: i32(0, 3, 3, 5),
      slices_i: i32(1, 2),
      redranges_j: i32(0, 2, 2, 4),
      ranges_j: i32(0, 2, 2, 4),
      slices_j: i32(1, 2),
      redranges_i: i32(0, 3, 3, 5),
    };
    const f = genred('SqDist(x,y)', ['x = Vi(3)', 'y = Vj(3)'], 'Sum', { axis: 1, ranges });
    const want = x.rows.map((xi, i) => [
      y.rows.reduce((acc, yj, j) => acc + (i < 3 === j < 2 ? sqd(xi, yj) : 0), 0),
    ]);
    expectClose(f(x.a, y.a), want, 1e-12);
    const g = genred('SqDist(x,y)', ['x = Vi(3)', 'y = Vj(3)'], 'Sum', { axis: 0, ranges });
    const wantT = y.rows.map((yj, j) => [
      x.rows.reduce((acc, xi, i) => acc + (i < 3 === j < 2 ? sqd(xi, yj) : 0), 0),
    ]);
    expectClose(g(x.a, y.a), wantT, 1e-12);
  });

  it('sizes come from the declared arguments when the formula does not use the kept index', () => {
    const out = genred('Sum(y)', ['x = Vi(3)', 'y = Vj(3)'], 'Sum', { axis: 'j' })(x.a, y.a);
    const total = y.rows.flat().reduce((s, v) => s + v, 0);
    expect(out.shape).toEqual([5, 1]);
    Array.from(out.data).forEach((v) => expect(v).toBeCloseTo(total, 12));
  });

  it('bad calls are LazyTensorErrors that say what was expected', () => {
    const f = genred('SqDist(x,y)', ['x = Vi(3)', 'y = Vj(3)'], 'Sum', { axis: 1 });
    expect(() => f(x.a)).toThrow(/expected 2 argument\(s\) \(one per variable: x, y\), got 1/);
    expect(() => f(x.a, y.a, y.a)).toThrow(LazyTensorError);
    expect(() => f(x.a, [[1, 2]])).toThrow(
      /argument 1 \('y'\), Vj\(1, 3\): expected shape \[\.\.\., n, 3\], got \[1, 2\]/,
    );
    expect(() => f(x.a, 3)).toThrow(/a number is only allowed for a parameter/);
    expect(() => f(x.a, 'y' as never)).toThrow(/expected an NDArray/);
    expect(() => f(x.a, [[1, 2, 'a']] as never)).toThrow(/entry 2 is not a number/);
    expect(() => f(x.a, { data: Float32Array.from(y.a.data), shape: [4, 3] })).toThrow(
      /mixed dtypes: argument 1 \('y'\), Vj\(1, 3\) is float32, argument 0 \('x'\), Vi\(0, 3\) is float64/,
    );
    expect(() => f(x.a, y.a, undefined as never)).toThrow(LazyTensorError);
    const two = genred('x + z', ['x = Vi(3)', 'z = Vi(3)'], 'Sum', { axis: 1 });
    expect(() => two(x.a, y.a)).toThrow(/has 4 rows, argument 0 \('x'\), Vi\(0, 3\) has 5 rows/);
    expect(() =>
      genred('SqDist(x,y)', ['x = Vi(3)', 'y = Vj(3)'], 'ArgKMin', { axis: 1, K: 9 })(x.a, y.a),
    ).toThrow(/K = 9 is larger than the reduced size 4/);
  });

  it('bad definitions are LazyTensorErrors', () => {
    const al = ['x = Vi(3)', 'y = Vj(3)'];
    expect(() => genred('SqDist(x,y)', al, 'Average')).toThrow(
      /unknown reduction 'Average': expected one of Sum/,
    );
    expect(() => genred('SqDist(x,y)', al, 'KMin')).toThrow(/KMin needs an integer K >= 1/);
    expect(() => genred('SqDist(x,y)', al, 'Sum', { K: 2 })).toThrow(/K is only used by KMin/);
    expect(() => genred('SqDist(x,y)', al, 'SumSoftMaxWeight')).toThrow(
      /needs the weight formula as opts.formula2/,
    );
    expect(() => genred('SqDist(x,y)', al, 'Sum', { formula2: 'x' })).toThrow(/takes no weight formula/);
    expect(() => genred('x', al, 'LogSumExp')).toThrow(/LogSumExp needs a scalar formula|dimension/);
    expect(() => genred('SqDist(x,y)', al, 'Sum', { axis: 2 as never })).toThrow(
      /axis must be 0, 1, 'i' or 'j'/,
    );
    expect(() => genred('SqDist(x,w)', ['x = Vi(0,3)', 'w = Vj(2,3)'], 'Sum')).toThrow(
      /variable index 1 is neither declared by an alias nor used in the formula/,
    );
    expect(() => genred('Exp(-SqDist(x,y)', al, 'Sum')).toThrow(/at position 17 in 'Exp\(-SqDist\(x,y\)'/);
    expect(() => genred('SqDist(x,y)', al, 'SumSoftMaxWeight', { formula2: 'y +' })).toThrow(
      /expected an expression at position 4 in 'y \+'/,
    );
    // reductions are case-insensitive, as a convenience
    expect(genred('SqDist(x,y)', al, 'sum').reduction).toBe('Sum');
  });
});
