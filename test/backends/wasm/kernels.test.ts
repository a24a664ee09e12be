import { afterAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../../src/backends/js/backend.js';
import { backends, getBackend } from '../../../src/backends/registry.js';
import type { KernelRanges, RunArgs } from '../../../src/backends/types.js';
import { generateWasm } from '../../../src/backends/wasm/codegen.js';
import {
  setWasmInlineThreshold,
  setWasmThreads,
  shutdownWasmWorkers,
  wasmBackend,
  wasmPoolInfo,
  wasmStats,
} from '../../../src/backends/wasm/index.js';
import { op, Var } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';
import { varIndex } from '../../../src/formula/node.js';
import { buildSpec } from '../../../src/kernel/spec.js';
import type { DType, FloatArray } from '../../../src/ndarray.js';
import { mulberry32 } from '../../../src/random.js';
import type { AccumulatorKind, ReductionKind } from '../../../src/reduction/index.js';
import { type Data, distF, gaussF, makeData, maxRelErr, negDistF } from '../js/helpers.js';

afterAll(() => {
  setWasmThreads(undefined);
  setWasmInlineThreshold(1e6);
  shutdownWasmWorkers();
});

const b = Var(2, 1, 'j');

/** Builds a spec and its inputs (slot order) for data d. */
function build(
  formula: Node,
  kind: ReductionKind,
  dtype: DType,
  d: Data,
  extra: { k?: number; weight?: Node; accumulator?: AccumulatorKind } = {},
) {
  const { spec, slotVars } = buildSpec({ formula, kind, axis: 'j', dtype, ...extra });
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
  const byVar: Record<number, Float64Array> = { 0: d.X, 1: d.Y, 2: d.B, 3: Float64Array.of(d.G) };
  const inputs = slotVars.map((v) => Ctor.from(byVar[varIndex(v)]!) as FloatArray);
  return { spec, inputs };
}

type Built = ReturnType<typeof build>;

function run(backend: typeof jsBackend, c: Built, d: Data, ranges?: KernelRanges) {
  const Ctor = c.spec.dtype === 'float32' ? Float32Array : Float64Array;
  const out = c.spec.outDim > 0 ? (new Ctor(d.nI * c.spec.outDim) as FloatArray) : undefined;
  const outIdx = c.spec.outIdxDim > 0 ? new Int32Array(d.nI * c.spec.outIdxDim) : undefined;
  const args: RunArgs = { inputs: c.inputs, nI: d.nI, nJ: d.nJ, out, outIdx, ranges };
  backend.compile(c.spec).run(args);
  return { out, outIdx };
}

// Block-sparse ranges: rows 0..9 see columns [3, 50) and [77, 78); rows 20..36 see [100, 203);
// rows 10..19 are in no block (identity); intervals are not multiples of the SIMD width.
const ranges: KernelRanges = {
  rowRanges: Int32Array.from([0, 10, 20, 37]),
  slices: Int32Array.from([2, 3]),
  colRanges: Int32Array.from([3, 50, 77, 78, 100, 203]),
};

const CASES: {
  name: string;
  f: Node;
  kind: ReductionKind;
  extra?: { k?: number; weight?: Node; accumulator?: AccumulatorKind };
}[] = [
  { name: 'Sum of a Gaussian', f: gaussF, kind: 'Sum' },
  { name: 'Sum, float64 accumulator', f: gaussF, kind: 'Sum', extra: { accumulator: 'float64' } },
  { name: 'Sum, Kahan accumulator', f: gaussF, kind: 'Sum', extra: { accumulator: 'kahan' } },
  { name: 'LogSumExp', f: negDistF, kind: 'LogSumExp' },
  {
    name: 'LogSumExp with a weight',
    f: negDistF,
    kind: 'LogSumExpWeight',
    extra: { weight: op('Exp', [b]) },
  },
  { name: 'SumSoftMaxWeight', f: negDistF, kind: 'SumSoftMaxWeight', extra: { weight: b } },
  { name: 'Min', f: distF, kind: 'Min' },
  { name: 'Max', f: distF, kind: 'Max' },
  { name: 'ArgMin', f: distF, kind: 'ArgMin' },
  { name: 'ArgMax', f: distF, kind: 'ArgMax' },
  { name: 'Min_ArgMin', f: distF, kind: 'Min_ArgMin' },
  { name: 'Max_ArgMax', f: distF, kind: 'Max_ArgMax' },
  { name: 'KMin K=5', f: distF, kind: 'KMin', extra: { k: 5 } },
  { name: 'ArgKMin K=5', f: distF, kind: 'ArgKMin', extra: { k: 5 } },
  { name: 'KMin_ArgKMin K=5', f: distF, kind: 'KMin_ArgKMin', extra: { k: 5 } },
];

describe('wasm kernels against the js backend (every reduction, SIMD body and scalar tail)', () => {
  const d = makeData(37, 203, 11);
  for (const dtype of ['float64', 'float32'] as const) {
    for (const c of CASES) {
      for (const rg of [undefined, ranges]) {
        it(`${c.name}, ${dtype}${rg ? ', block-sparse ranges' : ''}`, () => {
          setWasmThreads(1);
          const k = build(c.f, c.kind, dtype, d, c.extra);
          const want = run(jsBackend, k, d, rg);
          const got = run(wasmBackend, k, d, rg);
          // float32: wasm computes in float32, js in float64 rounded at the end.
          if (want.out)
            expect(maxRelErr(got.out!, want.out, 1e-3)).toBeLessThan(dtype === 'float32' ? 1e-4 : 1e-13);
          if (want.outIdx) expect(Array.from(got.outIdx!)).toEqual(Array.from(want.outIdx));
        });
      }
    }
  }
});

describe('wasm log-sum-exp lanes (each SIMD lane keeps its own maximum and sums)', () => {
  // F = -g |x - y|^2 + log b_j: b_j = 0 gives -inf (adds nothing), b_j < 0 gives NaN (skipped, as
  // every backend's scalar fold does), and a row whose values are all -inf reduces to -inf.
  const lseF = op('Add', [negDistF, op('Log', [b])]);
  function reference(d: Data): Float64Array {
    const out = new Float64Array(d.nI);
    for (let i = 0; i < d.nI; i++) {
      const v: number[] = [];
      for (let j = 0; j < d.nJ; j++) {
        let s = 0;
        for (let c = 0; c < 3; c++) s += (d.X[3 * i + c]! - d.Y[3 * j + c]!) ** 2;
        const f = -d.G * s + Math.log(d.B[j]!);
        if (!Number.isNaN(f)) v.push(f);
      }
      const m = Math.max(...v);
      out[i] = m === Number.NEGATIVE_INFINITY ? m : m + Math.log(v.reduce((a, f) => a + Math.exp(f - m), 0));
    }
    return out;
  }
  for (const dtype of ['float64', 'float32'] as const) {
    it(`LogSumExp with -inf and NaN values, ${dtype}`, () => {
      setWasmThreads(1);
      const d = makeData(29, 203, 7);
      // Columns 0..4 and every 7th are -inf; negative b (about half the rest) are NaN.
      d.B.forEach((_, j) => {
        if (j < 5 || j % 7 === 0) d.B[j] = 0;
      });
      const k = build(lseF, 'LogSumExp', dtype, d);
      const got = run(wasmBackend, k, d).out!;
      const want = reference(d);
      expect(maxRelErr(got, want, 1e-3)).toBeLessThan(dtype === 'float32' ? 1e-5 : 1e-13);
      // Every value -inf or NaN: the row reduces to -inf.
      const z = makeData(9, 37, 8);
      z.B.forEach((v, j) => {
        z.B[j] = j % 2 === 0 ? 0 : -Math.abs(v) - 0.5;
      });
      const none = run(wasmBackend, build(lseF, 'LogSumExp', dtype, z), z).out!;
      expect(Array.from(none)).toEqual(Array.from({ length: 9 }, () => Number.NEGATIVE_INFINITY));
    });
  }

  it('splats row values and parameters from memory at each use in the SIMD loop (no splat held across it)', () => {
    const { spec } = buildSpec({ formula: negDistF, kind: 'LogSumExp', axis: 'j', dtype: 'float32' });
    const text = generateWasm(spec).text;
    const loop = text.slice(text.indexOf('while (j + 4 <= j1)'), text.indexOf('while (j < j1)'));
    expect(loop).toContain('ldsv(XR1 + 0)'); // x_i (slot 1), component 0, from the row's base (computed per row)
    expect(loop).toContain('ldsv(P0 + 0)'); // the parameter g (slot 0)
    expect(text).not.toMatch(/vec v[xp]\d/);
  });

  it('runs the log-sum-exp family as vector code, not lane by lane', () => {
    for (const kind of ['LogSumExp', 'LogSumExpWeight', 'SumSoftMaxWeight'] as const) {
      const extra = kind === 'LogSumExp' ? {} : { weight: b };
      const { spec } = buildSpec({ formula: negDistF, kind, axis: 'j', dtype: 'float32', ...extra });
      const text = generateWasm(spec).text;
      expect(text, kind).toContain('vec vm = (-inf);');
      expect(text, kind).toContain('any(vf > vm)');
    }
  });
});

describe('wasm threads', () => {
  it('gives the same bits on 1 and 2 threads (rows split over worker threads)', () => {
    setWasmInlineThreshold(0); // every run with nI > 1 goes to the pool
    const d = makeData(301, 517, 5);
    for (const c of [CASES[0]!, CASES[3]!, CASES[14]!]) {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const rg of [undefined, ranges]) {
          const k = build(c.f, c.kind, dtype, d, c.extra);
          setWasmThreads(1);
          const one = run(wasmBackend, k, d, rg);
          setWasmThreads(2);
          const two = run(wasmBackend, k, d, rg);
          if (one.out) expect(Array.from(two.out!)).toEqual(Array.from(one.out));
          if (one.outIdx) expect(Array.from(two.outIdx!)).toEqual(Array.from(one.outIdx));
        }
      }
    }
    expect(wasmPoolInfo()?.runs).toBeGreaterThan(0);
  });
});

describe('wasm codegen', () => {
  it('covers every math function of the formula layer', () => {
    // One formula with every MathFn the ops emit: compiles, and matches the js backend.
    const x = Var(0, 1, 'i');
    const y = Var(1, 1, 'j');
    const t = op('Subtract', [x, y]);
    const f = [
      op('Cos', [t]),
      op('Asin', [op('Mult', [t, op('IntCst', [], [0])])]),
      op('Acos', [op('Mult', [t, op('IntCst', [], [0])])]),
      op('Atan', [t]),
      op('Atan2', [x, y]),
      op('Powf', [op('Exp', [t]), y]),
      op('Abs', [t]),
      op('Round', [t], [1]),
      op('Floor', [t]),
      op('Log', [op('Exp', [t])]),
      op('Sqrt', [op('Abs', [t])]),
    ].reduce((a, n) => op('Concat', [a, n]), op('Sin', [t]));
    for (const dtype of ['float64', 'float32'] as const) {
      const d = { nI: 5, nJ: 9 };
      const X = Float64Array.from({ length: 5 }, (_, i) => 0.1 + 0.13 * i);
      const Y = Float64Array.from({ length: 9 }, (_, j) => 0.05 + 0.07 * j);
      const { spec, slotVars } = buildSpec({ formula: f, kind: 'Sum', axis: 'j', dtype });
      const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
      const inputs = slotVars.map((v) => Ctor.from(varIndex(v) === 0 ? X : Y) as FloatArray);
      const k = { spec, inputs };
      const want = run(jsBackend, k, d as Data);
      const got = run(wasmBackend, k, d as Data);
      expect(maxRelErr(got.out!, want.out!, 1e-6)).toBeLessThan(dtype === 'float32' ? 1e-5 : 1e-13);
    }
  });
});

describe('wasm kernels of high dimension', () => {
  it('lowers a squared distance over 5000 components (a long chain of sums) without deep recursion', () => {
    setWasmThreads(1);
    const D = 5000;
    const xv = Var(0, D, 'i');
    const yv = Var(1, D, 'j');
    const { spec, slotVars } = buildSpec({
      formula: op('SqDist', [xv, yv]),
      kind: 'Min',
      axis: 'j',
      dtype: 'float64',
    });
    const r = (k: number) => Math.sin(k * 12.9898) * 0.5;
    const X = Float64Array.from({ length: 2 * D }, (_, k) => r(k));
    const Y = Float64Array.from({ length: 3 * D }, (_, k) => r(k + 7));
    const inputs = slotVars.map((v) => (varIndex(v) === 0 ? X : Y));
    const out = new Float64Array(2);
    wasmBackend.compile(spec).run({ inputs, nI: 2, nJ: 3, out });
    for (let i = 0; i < 2; i++) {
      let best = Number.POSITIVE_INFINITY;
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let c = 0; c < D; c++) s += (X[i * D + c]! - Y[j * D + c]!) ** 2;
        best = Math.min(best, s);
      }
      expect(Math.abs(out[i]! - best)).toBeLessThan(1e-9 * best);
    }
  });
});

describe('wasm component loops (vector sums over D >= 32) against dense float64 loops', () => {
  // D = 32: whole unrolled blocks only; 50: blocks and a 2-component remainder; 784: MNIST.
  // 11 columns: two SIMD steps (f32x4) or five (f64x2) and a scalar tail.
  const nI = 5;
  const nJ = 11;
  for (const dtype of ['float32', 'float64'] as const) {
    for (const D of [32, 50, 784]) {
      it(`Sum, ArgKMin and LogSumExp at D = ${D}, ${dtype}`, () => {
        setWasmThreads(1);
        const r = mulberry32(D);
        // Values exactly representable in float32: both dtypes see the same data.
        const f = (n: number, lo = 0, hi = 1) =>
          Float64Array.from(new Float32Array(Float64Array.from({ length: n }, () => lo + (hi - lo) * r())));
        const X = f(nI * D);
        const Y = f(nJ * D);
        const W = f(D, 0.5, 1.5);
        const Bw = f(nJ, -1, 1);
        const xv = Var(0, D, 'i');
        const yv = Var(1, D, 'j');
        const wv = Var(2, D, 'p');
        const bv = Var(3, 1, 'j');
        const data: Record<number, Float64Array> = { 0: X, 1: Y, 2: W, 3: Bw };
        const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
        const runK = (formula: Node, kind: ReductionKind, k?: number) => {
          const { spec, slotVars } = buildSpec({ formula, kind, axis: 'j', dtype, k });
          const inputs = slotVars.map((v) => Ctor.from(data[varIndex(v)]!) as FloatArray);
          const out = spec.outDim > 0 ? (new Ctor(nI * spec.outDim) as FloatArray) : undefined;
          const outIdx = spec.outIdxDim > 0 ? new Int32Array(nI * spec.outIdxDim) : undefined;
          wasmBackend.compile(spec).run({ inputs, nI, nJ, out, outIdx });
          return { out, outIdx };
        };
        const dense = (i: number, j: number, g: (a: number, b: number, w: number) => number) => {
          let s = 0;
          for (let c = 0; c < D; c++) s += g(X[i * D + c]!, Y[j * D + c]!, W[c]!);
          return s;
        };
        const tol = dtype === 'float32' ? 1e-5 : 1e-12;

        // Sum of exp(-|x - y|^2 / D) b_j.
        const gauss = op('Mult', [
          op('Exp', [op('Minus', [op('Divide', [op('SqDist', [xv, yv]), op('IntCst', [], [D])])])]),
          bv,
        ]);
        const sum = runK(gauss, 'Sum').out!;
        for (let i = 0; i < nI; i++) {
          let want = 0;
          for (let j = 0; j < nJ; j++) want += Math.exp(-dense(i, j, (a, b) => (a - b) ** 2) / D) * Bw[j]!;
          expect(Math.abs(sum[i]! - want), `Sum row ${i}`).toBeLessThan(tol * (1 + Math.abs(want)) * 10);
        }

        // 3 nearest columns in a distance weighted by a parameter vector.
        const knn = runK(op('WeightedSqDist', [wv, xv, yv]), 'ArgKMin', 3).outIdx!;
        for (let i = 0; i < nI; i++) {
          const d = Array.from({ length: nJ }, (_, j) => dense(i, j, (a, b, w) => w * (a - b) ** 2));
          const order = Array.from({ length: nJ }, (_, j) => j).sort((a, c) => d[a]! - d[c]!);
          expect(Array.from(knn.subarray(i * 3, i * 3 + 3)), `ArgKMin row ${i}`).toEqual(order.slice(0, 3));
        }

        // log sum_j exp(<x_i, y_j>).
        const lse = runK(op('Scalprod', [xv, yv]), 'LogSumExp').out!;
        for (let i = 0; i < nI; i++) {
          const v = Array.from({ length: nJ }, (_, j) => dense(i, j, (a, b) => a * b));
          const m = Math.max(...v);
          const want = m + Math.log(v.reduce((t, e) => t + Math.exp(e - m), 0));
          expect(Math.abs(lse[i]! - want), `LogSumExp row ${i}`).toBeLessThan(
            tol * (1 + Math.abs(want)) * 10,
          );
        }
      });
    }
  }
});

describe('wasm in the registry', () => {
  it('is listed as available with SIMD128, and compiles each spec once', () => {
    const st = backends().find((x) => x.name === 'wasm');
    expect(st).toMatchObject({ available: true });
    expect(st?.device).toMatch(/SIMD128/);
    expect(getBackend('wasm')).toBe(wasmBackend);
    const d = makeData(3, 5, 2);
    const k = build(distF, 'ArgMin', 'float64', d);
    wasmBackend.compile(k.spec);
    const before = wasmStats().compiled;
    wasmBackend.compile(k.spec);
    expect(wasmStats().compiled).toBe(before);
  });
});
