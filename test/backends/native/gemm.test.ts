/**
 * The GEMM-like path of the native backend (src/backends/native/gemm.ts): which vector reductions
 * take it (a codegen decision, tested without compiling), and the values of such kernels at
 * D = 50, 100, 784 and 1000 against dense float64 loops: K-NN (ArgKMin of SqDist), a Gaussian
 * sum, a scalar-product kernel, weighted squared distances (a D-dimensional and a scalar weight),
 * dense and block-sparse, at sizes around the micro-kernel's tile edges (4 rows × 64 columns).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKernel } from '../../../src/backends/native/codegen.js';
import { gemmSites } from '../../../src/backends/native/gemm.js';
import { type NativeKernel, nativeBackend, precompileNative } from '../../../src/backends/native/index.js';
import type { KernelRanges } from '../../../src/backends/types.js';
import { op, Var } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';
import { buildSpec, type KernelSpec } from '../../../src/kernel/spec.js';
import type { ReductionKind } from '../../../src/reduction/index.js';
import { rng } from '../../helpers/rng.js';
import { columnsOf, randomRanges, useSharedCache } from './helpers.js';

type Vec = Float64Array;
type DType = 'float32' | 'float64';

/** Slots: 0 x (i, D), 1 y (j, D), 2 b (j, 1), 3 w (p, D), 4 s (p, 1). */
interface Shape {
  name: string;
  formula: (D: number) => Node;
  kind: ReductionKind;
  k?: number;
  /** The formula's value at one pair, in float64. */
  ref: (x: Vec, y: Vec, b: number, w: Vec, s: number) => number;
}

const x = (D: number) => Var(0, D, 'i');
const y = (D: number) => Var(1, D, 'j');
const b = Var(2, 1, 'j');
const w = (D: number) => Var(3, D, 'p');
const s = Var(4, 1, 'p');

const sqdist = (a: Vec, c: Vec) => a.reduce((t, v, k) => t + (v - c[k]!) ** 2, 0);
const dot = (a: Vec, c: Vec) => a.reduce((t, v, k) => t + v * c[k]!, 0);
const wsqdist = (wt: Vec, a: Vec, c: Vec) => a.reduce((t, v, k) => t + wt[k]! * (v - c[k]!) ** 2, 0);

const SHAPES: Shape[] = [
  {
    name: 'K-NN (ArgKMin of SqDist)',
    formula: (D) => op('SqDist', [x(D), y(D)]),
    kind: 'ArgKMin',
    k: 3,
    ref: (xi, yj) => sqdist(xi, yj),
  },
  {
    name: 'Gaussian sum exp(-s |x-y|^2) b',
    formula: (D) => op('Mult', [op('Exp', [op('Minus', [op('Mult', [s, op('SqDist', [x(D), y(D)])])])]), b]),
    kind: 'Sum',
    ref: (xi, yj, bj, _w, sv) => Math.exp(-sv * sqdist(xi, yj)) * bj,
  },
  {
    name: 'scalar-product kernel (x.y) b',
    formula: (D) => op('Mult', [op('Scalprod', [x(D), y(D)]), b]),
    kind: 'Sum',
    ref: (xi, yj, bj) => dot(xi, yj) * bj,
  },
  {
    name: 'weighted sqdist, D-dimensional weight (Min)',
    formula: (D) => op('WeightedSqDist', [w(D), x(D), y(D)]),
    kind: 'Min',
    ref: (xi, yj, _b, wt) => wsqdist(wt, xi, yj),
  },
  {
    name: 'weighted sqdist, scalar weight (log-sum-exp)',
    formula: (D) => op('Minus', [op('WeightedSqDist', [s, x(D), y(D)])]),
    kind: 'LogSumExp',
    ref: (xi, yj, _b, _w, sv) => -sv * sqdist(xi, yj),
  },
  {
    name: 'weighted sqdist, per-column scalar weight (Gaussian sum)',
    formula: (D) => op('Exp', [op('Minus', [op('Mult', [s, op('WeightedSqDist', [b, x(D), y(D)])])])]),
    kind: 'Sum',
    ref: (xi, yj, bj, _w, sv) => Math.exp(-sv * bj * sqdist(xi, yj)),
  },
];

function specOf(sh: Shape, D: number, dtype: DType): KernelSpec {
  return buildSpec({ formula: sh.formula(D), kind: sh.kind, k: sh.k, axis: 'j', dtype }).spec;
}

describe('native GEMM path: which formulas take it', () => {
  it('dot-product-dominated reductions at D >= 32 take it (micro-kernel in the source)', () => {
    for (const sh of SHAPES) {
      for (const D of [32, 50, 784]) {
        const spec = specOf(sh, D, 'float32');
        expect(gemmSites(spec).length, `${sh.name} D=${D}`).toBe(1);
        expect(generateKernel(spec, 'k'), `${sh.name} D=${D}`).toContain('LT_GEMM_VECS');
      }
    }
  });

  it('small dimensions keep the unrolled kernels', () => {
    for (const sh of SHAPES) {
      const spec = specOf(sh, 3, 'float32');
      expect(gemmSites(spec)).toEqual([]);
      expect(generateKernel(spec, 'k')).not.toContain('LT_GEMM_VECS');
    }
  });

  it('sums of other elementwise terms, or without a j-variable, keep the component loop', () => {
    const D = 64;
    const cases: Node[] = [
      // A math call in the summand: the micro-kernel's vector types have no exp.
      op('Sum', [op('Exp', [op('Subtract', [x(D), y(D)])])]),
      // No j-variable: nothing to tile over columns.
      op('Mult', [op('SqNorm2', [x(D)]), b]),
      // A computed scalar leaf (not a variable) inside the summand.
      op('Sum', [op('Mult', [op('Sum', [x(D)]), y(D)])]),
    ];
    for (const f of cases) {
      const spec = buildSpec({ formula: f, kind: 'Sum', axis: 'j', dtype: 'float32' }).spec;
      expect(gemmSites(spec)).toEqual([]);
      expect(generateKernel(spec, 'k')).not.toContain('LT_GEMM_VECS');
    }
  });

  it('two distance sites in one formula both take it', () => {
    const D = 40;
    const f = op('Add', [op('SqDist', [x(D), y(D)]), op('Scalprod', [x(D), Var(5, D, 'j')])]);
    const spec = buildSpec({ formula: f, kind: 'Min', axis: 'j', dtype: 'float64' }).spec;
    expect(gemmSites(spec).length).toBe(2);
  });
});

interface Data {
  x: Vec;
  y: Vec;
  b: Vec;
  w: Vec;
  s: number;
}

function makeData(D: number, nI: number, nJ: number, seed: number, dtype: DType): Data {
  const r = rng(seed);
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  const arr = (n: number, lo: number, hi: number) =>
    Float64Array.from({ length: n }, () => round(lo + (hi - lo) * r()));
  return {
    x: arr(nI * D, 0, 1),
    y: arr(nJ * D, 0, 1),
    b: arr(nJ, -1, 1),
    w: arr(D, 0.5, 1.5),
    // exp(-s |x - y|^2) of order exp(-0.5): |x - y|^2 is about D / 6.
    s: round(3 / D),
  };
}

/** Kernel inputs in slot order (slots are the formula's variables that occur, by index). */
function inputsOf(spec: KernelSpec, d: Data, D: number): (Float32Array | Float64Array)[] {
  const F = spec.dtype === 'float32' ? Float32Array : Float64Array;
  const byDim = (dim: number, cat: string) => {
    if (cat === 'i') return d.x;
    if (cat === 'j') return dim === D ? d.y : d.b;
    return dim === D ? d.w : Float64Array.of(d.s);
  };
  return spec.slots.map((sl) => F.from(byDim(sl.dim, sl.cat)));
}

function check(
  sh: Shape,
  D: number,
  dtype: DType,
  kern: NativeKernel,
  nI: number,
  nJ: number,
  seed: number,
  ranges?: KernelRanges,
) {
  const spec = specOf(sh, D, dtype);
  const d = makeData(D, nI, nJ, seed, dtype);
  const F = dtype === 'float32' ? Float32Array : Float64Array;
  const out = new F(nI * spec.outDim).fill(12345);
  const outIdx = new Int32Array(nI * spec.outIdxDim).fill(-777);
  kern.run({ inputs: inputsOf(spec, d, D), nI, nJ, out, outIdx, ranges });
  expect(kern.lastEngine).toBe('native');
  const f32 = dtype === 'float32';
  const rtol = f32 ? 2e-5 : 1e-12;
  const label = `${sh.name} D=${D} ${dtype} ${nI}x${nJ}${ranges ? ' ranges' : ''}`;
  const value = (i: number, j: number) =>
    sh.ref(d.x.subarray(i * D, (i + 1) * D), d.y.subarray(j * D, (j + 1) * D), d.b[j]!, d.w, d.s);
  for (let i = 0; i < nI; i++) {
    const js = columnsOf(ranges, i, nJ);
    const v = js.map((j) => value(i, j));
    // The scale of each value's rounding: sums of |terms| (a sum may cancel to near zero).
    const scale = js.map((j) => {
      const xi = d.x.subarray(i * D, (i + 1) * D);
      const yj = d.y.subarray(j * D, (j + 1) * D);
      return Math.abs(v[js.indexOf(j)]!) + dot(xi.map(Math.abs), yj.map(Math.abs)) + sqdist(xi, yj);
    });
    const got = Array.from(out.subarray(i * spec.outDim, (i + 1) * spec.outDim));
    if (sh.kind === 'ArgKMin') {
      const order = js.map((_, q) => q).sort((p, q) => v[p]! - v[q]! || js[p]! - js[q]!);
      const idx = Array.from(outIdx.subarray(i * sh.k!, (i + 1) * sh.k!));
      for (let slot = 0; slot < sh.k!; slot++) {
        if (slot >= js.length) {
          expect(idx[slot], `${label}: row ${i} slot ${slot}`).toBe(-1);
          continue;
        }
        const want = v[order[slot]!]!;
        const at = js.indexOf(idx[slot]!);
        expect(at, `${label}: row ${i} slot ${slot} index ${idx[slot]}`).toBeGreaterThanOrEqual(0);
        if (!f32) expect(idx[slot], `${label}: row ${i} slot ${slot}`).toBe(js[order[slot]!]);
        expect(Math.abs(v[at]! - want), `${label}: row ${i} slot ${slot}`).toBeLessThanOrEqual(
          rtol * scale[at]!,
        );
      }
      expect(new Set(idx.filter((j) => j >= 0)).size, `${label}: row ${i} distinct`).toBe(
        Math.min(sh.k!, js.length),
      );
      continue;
    }
    let want: number;
    let tol: number;
    if (sh.kind === 'Sum') {
      want = v.reduce((t, a) => t + a, 0);
      tol = rtol * scale.reduce((t, a) => t + a, 0) + (f32 ? 1e-6 : 1e-13);
    } else if (sh.kind === 'Min') {
      want = v.reduce((t, a) => Math.min(t, a), Number.POSITIVE_INFINITY);
      tol = rtol * Math.max(0, ...scale);
    } else {
      const m = v.reduce((t, a) => Math.max(t, a), Number.NEGATIVE_INFINITY);
      want = js.length === 0 ? m : m + Math.log(v.reduce((t, a) => t + Math.exp(a - m), 0));
      tol = rtol * Math.max(0, ...scale.map((c) => c * d.s)) + (f32 ? 1e-5 : 1e-12);
    }
    if (!Number.isFinite(want)) expect(got[0], `${label}: row ${i}`).toBe(want);
    else
      expect(Math.abs(got[0]! - want), `${label}: row ${i} got ${got[0]} want ${want}`).toBeLessThanOrEqual(
        tol,
      );
  }
}

const DIMS = [50, 100, 784, 1000];
const SIZES: [number, number][] = [
  [1, 1],
  [1, 7],
  [7, 9],
  [9, 33],
  [33, 7],
  [37, 301],
];

describe('native GEMM path: values against dense float64 loops', () => {
  const combos = DIMS.flatMap((D) =>
    SHAPES.flatMap((sh) =>
      (['float32', 'float64'] as const)
        .filter((dt) => dt === 'float32' || D === 100)
        .map((dtype) => ({ sh, D, dtype })),
    ),
  );
  let kernels: NativeKernel[] = [];
  beforeAll(() => {
    useSharedCache();
    expect(nativeBackend.status().available, nativeBackend.status().reason).toBe(true);
    kernels = precompileNative(combos.map((c) => specOf(c.sh, c.D, c.dtype)));
    for (const k of kernels) expect(k.waitReady()).toBe('ready');
  }, 600_000);

  combos.forEach(({ sh, D, dtype }, n) => {
    it(`${sh.name}, D=${D}, ${dtype}: tile edges, dense and block-sparse`, () => {
      SIZES.forEach(([nI, nJ], q) => check(sh, D, dtype, kernels[n]!, nI, nJ, 100 * n + q));
      check(sh, D, dtype, kernels[n]!, 45, 290, 100 * n + 50, randomRanges(45, 290, 7 + n));
    });
  });
});
