/**
 * Expanded distances for minimum-type selections (src/backends/native/expand.ts): which specs
 * take them (a codegen decision, tested without compiling), and that their results are
 * bit-identical to the direct path's (the same spec with F = 1·SqDist, which the expansion does
 * not take: F is then no longer the site itself) and agree with dense float64 loops, on random
 * data, on adversarial data whose certificate fails (huge norms, tiny distances: rows fall back),
 * on data with ties and duplicated points, dense and block-sparse, at D = 32, 50, 100, 200 and
 * 256 (the largest D it takes; D = 784 keeps the direct path), in float32 and float64.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKernel } from '../../../src/backends/native/codegen.js';
import {
  EXPAND_MAX_DIM,
  errorBound,
  orderExpansion,
  polynomial,
} from '../../../src/backends/native/expand.js';
import { type NativeKernel, nativeBackend, precompileNative } from '../../../src/backends/native/index.js';
import type { KernelRanges } from '../../../src/backends/types.js';
import { op, Var } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';
import { buildSpec, type KernelSpec } from '../../../src/kernel/spec.js';
import type { ReductionKind } from '../../../src/reduction/index.js';
import { rng } from '../../helpers/rng.js';
import { columnsOf, randomRanges, runNative, useSharedCache } from './helpers.js';

type DType = 'float32' | 'float64';
const x = (D: number) => Var(0, D, 'i');
const y = (D: number) => Var(1, D, 'j');
const one = Var(2, 1, 'p');

function specOf(f: Node, kind: ReductionKind, dtype: DType, k?: number): KernelSpec {
  return buildSpec({ formula: f, kind, k, axis: 'j', dtype }).spec;
}

describe('expanded distances: which specs take them', () => {
  it('minimum-type selections of a squared distance at 32 <= D <= EXPAND_MAX_DIM', () => {
    const kinds: [ReductionKind, number | undefined][] = [
      ['ArgKMin', 10],
      ['KMin', 3],
      ['KMin_ArgKMin', 1],
      ['Min', undefined],
      ['ArgMin', undefined],
      ['Min_ArgMin', undefined],
    ];
    for (const [kind, k] of kinds)
      for (const D of [32, 50, EXPAND_MAX_DIM]) {
        const spec = specOf(op('SqDist', [x(D), y(D)]), kind, 'float32', k);
        expect(orderExpansion(spec), `${kind} D=${D}`).toBeDefined();
        expect(generateKernel(spec, 'k'), `${kind} D=${D}`).toContain('VT sg[NG]');
      }
    // The same distance written as a sum of squared differences (recognised from its code).
    const sum = op('Sum', [op('Square', [op('Subtract', [y(64), x(64)])])]);
    expect(orderExpansion(specOf(sum, 'ArgKMin', 'float64', 5))).toBeDefined();
  });

  it('sums, maxima, other summands and formulas around the distance keep the direct path', () => {
    const D = 50;
    const d = op('SqDist', [x(D), y(D)]);
    const cases: [Node, ReductionKind, number?][] = [
      [d, 'Sum'],
      [d, 'LogSumExp'],
      [d, 'Max'],
      [d, 'ArgMax'],
      [op('Scalprod', [x(D), y(D)]), 'ArgKMin', 3],
      [op('WeightedSqDist', [Var(3, D, 'p'), x(D), y(D)]), 'ArgKMin', 3],
      [op('Mult', [one, d]), 'ArgKMin', 3],
      [op('Minus', [d]), 'ArgKMin', 3],
      [op('SqDist', [x(8), y(8)]), 'ArgKMin', 3],
      [op('SqDist', [x(EXPAND_MAX_DIM + 1), y(EXPAND_MAX_DIM + 1)]), 'ArgKMin', 3],
      [op('SqDist', [x(784), y(784)]), 'Min_ArgMin'],
      [d, 'ArgKMin', 65],
    ];
    for (const [f, kind, k] of cases) {
      const spec = specOf(f, kind, 'float32', k);
      expect(orderExpansion(spec), `${kind} ${f.op}`).toBeUndefined();
      expect(generateKernel(spec, 'k')).not.toContain('VT sg[NG]');
    }
  });

  it('reads operators-only code as a polynomial of degree <= 2', () => {
    expect(polynomial(['const auto a = (X - Y);'], 'a * a')).toEqual([0, 0, 0, 1, -2, 1]);
    expect(polynomial([], '(X + 2) * -Y')).toEqual([0, 0, -2, 0, -1, 0]);
    expect(polynomial([], 'X * X * Y')).toBeUndefined();
    expect(polynomial([], 'X / Y')).toBeUndefined();
    expect(polynomial([], 'sqrt(X)')).toBeUndefined();
  });

  it('the error bound is 2 gamma_{D+2} (|x| + |y|)^2 with a margin', () => {
    const g = (n: number, u: number) => (n * u) / (1 - n * u);
    expect(errorBound('float32', 50).scale).toBeGreaterThanOrEqual(2 * g(52, 2 ** -24));
    expect(errorBound('float64', 784).scale).toBeGreaterThanOrEqual(2 * g(786, 2 ** -53));
  });
});

/**
 * Data: 'random' uniform in [0,1); 'far' centred at 1e3 (float32) or 1e9 (float64) with spread
 * 1e-2, half the rows and a third of the columns uniform in [0,1) (so some rows certify, others
 * fall back); 'ties' small integers with duplicated columns (exact distances, many ties).
 */
type Kind = 'random' | 'far' | 'ties';

function data(
  kind: Kind,
  dtype: DType,
  D: number,
  nI: number,
  nJ: number,
  seed: number,
): { X: Float64Array; Y: Float64Array } {
  const r = rng(seed);
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  const X = new Float64Array(nI * D);
  const Y = new Float64Array(nJ * D);
  if (kind === 'random') {
    X.forEach((_, k) => (X[k] = round(r())));
    Y.forEach((_, k) => (Y[k] = round(r())));
  } else if (kind === 'far') {
    const far = dtype === 'float32' ? 1e3 : 1e9;
    const c = Array.from({ length: D }, () => far + Math.floor(r() * 8));
    for (let i = 0; i < nI; i++)
      for (let k = 0; k < D; k++) X[i * D + k] = round(i % 2 === 0 ? c[k]! + 0.01 * r() : r());
    for (let j = 0; j < nJ; j++)
      for (let k = 0; k < D; k++) Y[j * D + k] = round(j % 3 === 0 ? r() : c[k]! + 0.01 * r());
  } else {
    X.forEach((_, k) => (X[k] = Math.floor(r() * 3)));
    for (let j = 0; j < nJ; j++) {
      const from = j % 4 === 3 ? j - 2 : j; // every fourth column duplicates an earlier one
      for (let k = 0; k < D; k++) Y[j * D + k] = from === j ? Math.floor(r() * 3) : Y[from * D + k]!;
    }
  }
  return { X, Y };
}

interface Case {
  kind: ReductionKind;
  k?: number;
  D: number;
  dtype: DType;
}

const CASES: Case[] = [
  { kind: 'ArgKMin', k: 10, D: 50, dtype: 'float32' },
  { kind: 'KMin_ArgKMin', k: 3, D: 32, dtype: 'float32' },
  { kind: 'Min_ArgMin', D: 100, dtype: 'float32' },
  { kind: 'KMin_ArgKMin', k: 5, D: 256, dtype: 'float32' },
  { kind: 'KMin_ArgKMin', k: 4, D: 50, dtype: 'float64' },
  { kind: 'ArgMin', D: 100, dtype: 'float64' },
  { kind: 'KMin', k: 2, D: 200, dtype: 'float64' },
  { kind: 'Min', D: 32, dtype: 'float32' },
];

describe('expanded distances: results of the direct path', () => {
  let kernels: { fast: NativeKernel; direct: NativeKernel; spec: KernelSpec; ref: KernelSpec }[] = [];
  beforeAll(() => {
    useSharedCache();
    expect(nativeBackend.status().available, nativeBackend.status().reason).toBe(true);
    const specs = CASES.map((c) => {
      const d = op('SqDist', [x(c.D), y(c.D)]);
      return {
        spec: specOf(d, c.kind, c.dtype, c.k),
        // 1·SqDist: the same values (a product by 1 is exact) through the direct path.
        ref: specOf(op('Mult', [one, d]), c.kind, c.dtype, c.k),
      };
    });
    for (const s of specs) {
      expect(orderExpansion(s.spec)).toBeDefined();
      expect(orderExpansion(s.ref)).toBeUndefined();
    }
    const ks = precompileNative(specs.flatMap((s) => [s.spec, s.ref]));
    for (const k of ks) expect(k.waitReady()).toBe('ready');
    kernels = specs.map((s, n) => ({ ...s, fast: ks[2 * n]!, direct: ks[2 * n + 1]! }));
  }, 600_000);

  CASES.forEach((c, n) => {
    it(`${c.kind}${c.k ? ` K=${c.k}` : ''} D=${c.D} ${c.dtype}: random, far-off, ties; dense and block-sparse`, () => {
      const { fast, direct, spec } = kernels[n]!;
      const sizes: [number, number][] = [
        [1, 1],
        [7, 9],
        [9, 70],
        [37, 301],
      ];
      for (const kind of ['random', 'far', 'ties'] as const) {
        const all: [number, number, KernelRanges?][] = [...sizes, [45, 290, randomRanges(45, 290, 11 + n)]];
        all.forEach(([nI, nJ, ranges], q) => {
          const { X, Y } = data(kind, c.dtype, c.D, nI, nJ, 1000 * n + q);
          const got = runNative(fast, spec, X, Y, nI, nJ, ranges);
          const want = runNative(direct, kernels[n]!.ref, X, Y, nI, nJ, ranges);
          const label = `${kind} ${nI}x${nJ}${ranges ? ' ranges' : ''}`;
          expect(got.out, label).toEqual(want.out);
          expect(got.outIdx, label).toEqual(want.outIdx);
          checkDense(c, spec, X, Y, nI, nJ, ranges, got, label);
        });
      }
    });
  });
});

/**
 * Against a dense float64 loop: each row's values are the K smallest distances (within the
 * rounding of a D-term sum) and its indices hold them; ranks whose float64 distance is separated
 * from the others by more than the rounding must hold exactly the reference's columns.
 */
function checkDense(
  c: Case,
  spec: KernelSpec,
  X: Float64Array,
  Y: Float64Array,
  nI: number,
  nJ: number,
  ranges: KernelRanges | undefined,
  got: { out: number[]; outIdx: number[] },
  label: string,
) {
  const D = c.D;
  const K = c.k ?? 1;
  const u = c.dtype === 'float32' ? 2 ** -24 : 2 ** -53;
  for (let i = 0; i < nI; i++) {
    const js = columnsOf(ranges, i, nJ);
    const dist = js.map((j) => {
      let s = 0;
      for (let k = 0; k < D; k++) s += (X[i * D + k]! - Y[j * D + k]!) ** 2;
      return s;
    });
    const order = js.map((_, q) => q).sort((p, q) => dist[p]! - dist[q]! || js[p]! - js[q]!);
    for (let s = 0; s < K; s++) {
      const o = spec.outIdxDim > 0 ? got.outIdx[i * spec.outIdxDim + s]! : undefined;
      const v = spec.outDim > 0 ? got.out[i * spec.outDim + s]! : undefined;
      if (s >= js.length) {
        if (o !== undefined) expect(o, `${label} row ${i} slot ${s}`).toBe(-1);
        if (v !== undefined) expect(v, `${label} row ${i} slot ${s}`).toBe(Number.POSITIVE_INFINITY);
        continue;
      }
      const want = dist[order[s]!]!;
      const tol = 4 * (D + 2) * u * want + 1e-30;
      if (v !== undefined) expect(Math.abs(v - want), `${label} row ${i} slot ${s}`).toBeLessThanOrEqual(tol);
      if (o === undefined) continue;
      expect(
        Math.abs(dist[js.indexOf(o)]! - want),
        `${label} row ${i} slot ${s} index ${o}`,
      ).toBeLessThanOrEqual(tol);
      const isolated = order.every((q, t) => t === s || Math.abs(dist[q]! - want) > 2 * tol);
      if (isolated) expect(o, `${label} row ${i} slot ${s}`).toBe(js[order[s]!]);
    }
  }
}
