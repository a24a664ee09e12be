/**
 * Dot-product-dominated reductions (the shapes the native GEMM path and the CUDA tiled path take),
 * their float64 references at one (i, j) pair, random data and the row-by-row check of a kernel's
 * output against dense float64 loops. Shared by test/backends/native/gemm.test.ts and
 * test/backends/cuda/gemm.test.ts; each adds its own shapes to COMMON_SHAPES.
 */
import { expect } from 'vitest';
import type { KernelRanges } from '../../../src/backends/types.js';
import { op, Var } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';
import { buildSpec, type KernelSpec } from '../../../src/kernel/spec.js';
import type { ReductionKind } from '../../../src/reduction/index.js';
import { rng } from '../../helpers/rng.js';
import { columnsOf } from '../native/helpers.js';

export type Vec = Float64Array;
export type DType = 'float32' | 'float64';

/** Slots: 0 x (i, D), 1 y (j, D), 2 b (j, 1), 3 w (p, D), 4 s (p, 1). */
export interface Shape {
  name: string;
  formula: (D: number) => Node;
  kind: ReductionKind;
  k?: number;
  /** Vector reductions the tiled path computes (default 1). */
  sites?: number;
  /** The formula's value at one pair, in float64. */
  ref: (x: Vec, y: Vec, b: number, w: Vec, s: number) => number;
}

export const x = (D: number) => Var(0, D, 'i');
export const y = (D: number) => Var(1, D, 'j');
export const b = Var(2, 1, 'j');
export const w = (D: number) => Var(3, D, 'p');
export const s = Var(4, 1, 'p');

export const sqdist = (a: Vec, c: Vec) => a.reduce((t, v, k) => t + (v - c[k]!) ** 2, 0);
export const dot = (a: Vec, c: Vec) => a.reduce((t, v, k) => t + v * c[k]!, 0);
export const wsqdist = (wt: Vec, a: Vec, c: Vec) => a.reduce((t, v, k) => t + wt[k]! * (v - c[k]!) ** 2, 0);

/** K-NN, a Gaussian sum, a scalar-product kernel and a D-dimensional weighted distance. */
export const COMMON_SHAPES: readonly Shape[] = [
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
];

export function specOf(sh: Shape, D: number, dtype: DType): KernelSpec {
  return buildSpec({ formula: sh.formula(D), kind: sh.kind, k: sh.k, axis: 'j', dtype }).spec;
}

export interface Data {
  x: Vec;
  y: Vec;
  b: Vec;
  w: Vec;
  s: number;
}

/** x, y uniform in [0, 1), b in [bLo, bHi), w in [0.5, 1.5), s = 3 / D; rounded to the dtype. */
export function makeData(
  D: number,
  nI: number,
  nJ: number,
  seed: number,
  dtype: DType,
  [bLo, bHi]: [number, number],
): Data {
  const r = rng(seed);
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  const arr = (n: number, lo: number, hi: number) =>
    Float64Array.from({ length: n }, () => round(lo + (hi - lo) * r()));
  return {
    x: arr(nI * D, 0, 1),
    y: arr(nJ * D, 0, 1),
    b: arr(nJ, bLo, bHi),
    w: arr(D, 0.5, 1.5),
    // exp(-s |x - y|^2) of order exp(-0.5): |x - y|^2 is about D / 6.
    s: round(3 / D),
  };
}

/** Kernel inputs in slot order (slots are the formula's variables that occur, by index). */
export function inputsOf(spec: KernelSpec, d: Data, D: number): (Float32Array | Float64Array)[] {
  const F = spec.dtype === 'float32' ? Float32Array : Float64Array;
  const byDim = (dim: number, cat: string) => {
    if (cat === 'i') return d.x;
    if (cat === 'j') return dim === D ? d.y : d.b;
    return dim === D ? d.w : Float64Array.of(d.s);
  };
  return spec.slots.map((sl) => F.from(byDim(sl.dim, sl.cat)));
}

/** A kernel's output buffers, pre-filled with garbage so that untouched entries show. */
export function outputsOf(spec: KernelSpec, nI: number) {
  const F = spec.dtype === 'float32' ? Float32Array : Float64Array;
  return {
    out: new F(nI * spec.outDim).fill(12345),
    outIdx: new Int32Array(nI * spec.outIdxDim).fill(-777),
  };
}

/** Checks every row of a kernel's output (run on d) against dense float64 loops. */
export function expectRows(
  sh: Shape,
  D: number,
  dtype: DType,
  d: Data,
  nI: number,
  nJ: number,
  { out, outIdx }: ReturnType<typeof outputsOf>,
  outDim: number,
  ranges?: KernelRanges,
) {
  const f32 = dtype === 'float32';
  const rtol = f32 ? 2e-5 : 1e-12;
  const label = `${sh.name} D=${D} ${dtype} ${nI}x${nJ}${ranges ? ' ranges' : ''}`;
  const row = (i: number) => d.x.subarray(i * D, (i + 1) * D);
  const col = (j: number) => d.y.subarray(j * D, (j + 1) * D);
  const ax = d.x.map(Math.abs);
  const ay = d.y.map(Math.abs);
  for (let i = 0; i < nI; i++) {
    const js = columnsOf(ranges, i, nJ);
    const v = js.map((j) => sh.ref(row(i), col(j), d.b[j]!, d.w, d.s));
    // The scale of each value's rounding: sums of |terms| (a sum may cancel to near zero).
    const ai = ax.subarray(i * D, (i + 1) * D);
    const scale = js.map(
      (j, q) => Math.abs(v[q]!) + dot(ai, ay.subarray(j * D, (j + 1) * D)) + sqdist(row(i), col(j)),
    );
    const got = out[i * outDim]!;
    if (sh.kind === 'ArgKMin') {
      const order = js.map((_, q) => q).sort((p, q) => v[p]! - v[q]! || js[p]! - js[q]!);
      const idx = Array.from(outIdx.subarray(i * sh.k!, (i + 1) * sh.k!));
      for (let slot = 0; slot < sh.k!; slot++) {
        if (slot >= js.length) {
          expect(idx[slot], `${label}: row ${i} slot ${slot}`).toBe(-1);
          continue;
        }
        const at = js.indexOf(idx[slot]!);
        expect(at, `${label}: row ${i} slot ${slot} index ${idx[slot]}`).toBeGreaterThanOrEqual(0);
        if (!f32) expect(idx[slot], `${label}: row ${i} slot ${slot}`).toBe(js[order[slot]!]);
        expect(Math.abs(v[at]! - v[order[slot]!]!), `${label}: row ${i} slot ${slot}`).toBeLessThanOrEqual(
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
    } else if (sh.kind === 'Min' || sh.kind === 'Max') {
      const min = sh.kind === 'Min';
      want = v.reduce((t, a) => (min ? Math.min(t, a) : Math.max(t, a)), min ? Infinity : -Infinity);
      tol = rtol * Math.max(0, ...scale);
    } else if (sh.kind === 'LogSumExp') {
      const m = v.reduce((t, a) => Math.max(t, a), Number.NEGATIVE_INFINITY);
      want = js.length === 0 ? m : m + Math.log(v.reduce((t, a) => t + Math.exp(a - m), 0));
      tol = rtol * Math.max(0, ...scale.map((c) => c * d.s)) + (f32 ? 1e-5 : 1e-12);
    } else {
      throw new Error(`expectRows: no reference for ${sh.kind}`);
    }
    if (!Number.isFinite(want)) expect(got, `${label}: row ${i}`).toBe(want);
    else expect(Math.abs(got - want), `${label}: row ${i} got ${got} want ${want}`).toBeLessThanOrEqual(tol);
  }
}
