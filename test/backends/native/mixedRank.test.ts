/**
 * Mixed-precision ranking for nearest-neighbour selections (src/backends/native/mixedRank.ts):
 * which specs take it (a codegen decision, tested without compiling), and that its results are
 * bit-identical to the direct path's (the same spec compiled with the `mixedRank` option off) and
 * to a dense float64 reference written here, on random, far-off, tied, huge, tiny and non-finite
 * data, dense and block-sparse (overlapping and decreasing ranges too), at D = 1, 2, 3, 7 and 16.
 *
 * The data are dyadic with few significant bits, so that every difference, square and sum of
 * the reference is exact: any evaluation order (and any contraction into FMAs) gives the same
 * bits, and `toEqual` against the plain loop below is a fair test. The float32 ranking still
 * rounds (its translation by the centre of the y's, |b|^2 and the products are inexact), so the
 * certificate is exercised. Full-precision data are compared with the direct path bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKernel } from '../../../src/backends/native/codegen.js';
import { type NativeKernel, precompileNative, setNativeOptions } from '../../../src/backends/native/index.js';
import { MIXED_MAX_DIM, mixedBound, mixedRanking } from '../../../src/backends/native/mixedRank.js';
import type { KernelRanges } from '../../../src/backends/types.js';
import { LazyTensorError } from '../../../src/errors.js';
import { op, Var } from '../../../src/formula/index.js';
import type { Node } from '../../../src/formula/node.js';
import { buildSpec, type KernelSpec } from '../../../src/kernel/spec.js';
import type { ReductionKind } from '../../../src/reduction/index.js';
import { rng } from '../../helpers/rng.js';
import { columnsOf, randomRanges, runNative, useSharedCache } from './helpers.js';

type DType = 'float32' | 'float64';
const x = (D: number) => Var(0, D, 'i');
const y = (D: number) => Var(1, D, 'j');

function specOf(f: Node, kind: ReductionKind, dtype: DType = 'float64', k?: number): KernelSpec {
  return buildSpec({ formula: f, kind, k, axis: 'j', dtype }).spec;
}

describe('mixed ranking: which specs take it', () => {
  afterAll(() => setNativeOptions({ mixedRank: undefined }));

  it('float64 Min, ArgMin and Min_ArgMin of a squared distance at 1 <= D <= MIXED_MAX_DIM', () => {
    for (const kind of ['Min', 'ArgMin', 'Min_ArgMin'] as const)
      for (const D of [1, 2, 3, 7, MIXED_MAX_DIM]) {
        const spec = specOf(op('SqDist', [x(D), y(D)]), kind);
        expect(mixedRanking(spec), `${kind} D=${D}`).toMatchObject({ xSlot: 0, ySlot: 1, dim: D });
        expect(generateKernel(spec, 'k'), `${kind} D=${D}`).toContain('MVF');
      }
    // The same distance written as a sum of squared differences, y first (read from its code).
    const sum = specOf(op('Sum', [op('Square', [op('Subtract', [y(5), x(5)])])]), 'ArgMin');
    const m = mixedRanking(sum);
    expect(m).toMatchObject({ dim: 5 });
    expect([sum.slots[m!.xSlot]!.cat, sum.slots[m!.ySlot]!.cat]).toEqual(['i', 'j']);
    expect(mixedRanking(specOf(op('Square', [op('Subtract', [x(1), y(1)])]), 'Min'))).toBeDefined();
  });

  it('float32, other reductions, other formulas, larger D and the option off keep the direct path', () => {
    const D = 3;
    const d = op('SqDist', [x(D), y(D)]);
    const cases: [Node, ReductionKind, DType, number?][] = [
      [d, 'Min_ArgMin', 'float32'],
      [d, 'Max', 'float64'],
      [d, 'ArgMax', 'float64'],
      [d, 'Sum', 'float64'],
      [d, 'KMin_ArgKMin', 'float64', 1],
      [d, 'ArgKMin', 'float64', 3],
      [op('Scalprod', [x(D), y(D)]), 'ArgMin', 'float64'],
      [op('WeightedSqDist', [Var(2, D, 'p'), x(D), y(D)]), 'ArgMin', 'float64'],
      [op('Mult', [Var(2, 1, 'p'), d]), 'ArgMin', 'float64'],
      [op('Minus', [d]), 'ArgMin', 'float64'],
      [op('Exp', [op('Minus', [d])]), 'Min', 'float64'],
      [op('SqDist', [x(MIXED_MAX_DIM + 1), y(MIXED_MAX_DIM + 1)]), 'Min_ArgMin', 'float64'],
      [op('SqDist', [Var(0, D, 'i'), Var(1, D, 'i')]), 'Min', 'float64'],
    ];
    for (const [f, kind, dtype, k] of cases) {
      const spec = specOf(f, kind, dtype, k);
      expect(mixedRanking(spec), `${kind} ${f.op} ${dtype}`).toBeUndefined();
      expect(generateKernel(spec, 'k')).not.toContain('MVF');
    }
    setNativeOptions({ mixedRank: false });
    expect(mixedRanking(specOf(d, 'Min_ArgMin'))).toBeUndefined();
    expect(() => setNativeOptions({ mixedRank: 'no' as unknown as boolean })).toThrow(LazyTensorError);
    setNativeOptions({ mixedRank: undefined });
    expect(mixedRanking(specOf(d, 'Min_ArgMin'))).toBeDefined();
  });

  it('the certificate bounds float32 ranking, conversions and the float64 distance, with a margin', () => {
    const g = (n: number, u: number) => (n * u) / (1 - n * u);
    const u = 2 ** -24;
    for (const D of [1, 3, 16]) {
      const b = mixedBound(D);
      // 2 E / R^2 >= 2 (gamma_{D+2} + u + 2 eta + gamma'_{D+2}), eta = u + 2^-52.
      const eta = u + 2 ** -52;
      expect(b.scale).toBeGreaterThanOrEqual(2 * (g(D + 2, u) + u + 2 * eta + g(D + 2, 2 ** -53)));
      expect(b.maxR ** 2 * 3).toBeLessThan(3.4028234663852886e38);
    }
  });
});

/**
 * Data (X rows x D, Y columns x D):
 * - 'random': multiples of 2^-20 in [0, 1);
 * - 'far': 8 clusters around 1e6 (integers) with multiples of 2^-10 within a unit: far from the
 *   origin, certified only thanks to the translation by the centre of the y's;
 * - 'spread': x near 2^20 (integers), y small integers: R is large and the gaps between columns
 *   seen from x are of the order of the bound, so that rows certify or fall back;
 * - 'ties': small integers, every fourth column a copy of an earlier one (exact ties);
 * - 'near': small integers, every odd column its predecessor moved by a few 2^-20: distances
 *   distinct in float64 but too close for float32 (those rows must fall back);
 * - 'huge': multiples of 2^62 (beyond the certificate's range: every row falls back);
 * - 'tiny': multiples of 2^-60 (below it: every row falls back);
 * - 'nanx': 'random' with NaN and infinities in some rows (those rows fall back);
 * - 'nany': 'random' with NaN and infinities in some columns (the call skips the ranking).
 */
type Kind = 'random' | 'far' | 'spread' | 'ties' | 'near' | 'huge' | 'tiny' | 'nanx' | 'nany';
const KINDS: Kind[] = ['random', 'far', 'spread', 'ties', 'near', 'huge', 'tiny', 'nanx', 'nany'];

function data(kind: Kind, D: number, nI: number, nJ: number, seed: number) {
  const r = rng(seed);
  const X = new Float64Array(nI * D);
  const Y = new Float64Array(nJ * D);
  const int = (n: number) => Math.floor(r() * n);
  const dyadic = (bits: number) => int(2 ** bits) / 2 ** bits;
  if (kind === 'random' || kind === 'nanx' || kind === 'nany') {
    X.forEach((_, k) => (X[k] = dyadic(20)));
    Y.forEach((_, k) => (Y[k] = dyadic(20)));
    const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    if (kind === 'nanx') for (let i = 1; i < nI; i += 5) X[i * D + int(D)] = special[int(3)]!;
    if (kind === 'nany') for (let j = 1; j < nJ; j += 7) Y[j * D + int(D)] = special[int(3)]!;
  } else if (kind === 'far') {
    const centres = Array.from({ length: 8 * D }, () => 1e6 + int(8));
    const fill = (A: Float64Array, n: number) => {
      for (let i = 0; i < n; i++) {
        const c = int(8);
        for (let k = 0; k < D; k++) A[i * D + k] = centres[c * D + k]! + dyadic(10);
      }
    };
    fill(X, nI);
    fill(Y, nJ);
  } else if (kind === 'spread') {
    X.forEach((_, k) => (X[k] = 2 ** 20 + int(2 ** 12)));
    Y.forEach((_, k) => (Y[k] = int(8)));
  } else if (kind === 'ties') {
    X.forEach((_, k) => (X[k] = int(3)));
    for (let j = 0; j < nJ; j++) {
      const from = j % 4 === 3 ? j - 2 : j;
      for (let k = 0; k < D; k++) Y[j * D + k] = from === j ? int(3) : Y[from * D + k]!;
    }
  } else if (kind === 'near') {
    X.forEach((_, k) => (X[k] = int(16)));
    for (let j = 0; j < nJ; j++)
      for (let k = 0; k < D; k++)
        Y[j * D + k] = j % 2 === 0 ? int(16) : Y[(j - 1) * D + k]! + (int(5) - 2) * 2 ** -20;
  } else {
    const unit = kind === 'huge' ? 2 ** 62 : 2 ** -60;
    X.forEach((_, k) => (X[k] = unit * int(4)));
    Y.forEach((_, k) => (Y[k] = unit * int(4)));
  }
  return { X, Y };
}

/**
 * The dense float64 reference: per row, the smallest distance over its columns (NaN never wins)
 * and the lowest column holding it; +inf and -1 when no column has a value.
 */
function reference(
  X: Float64Array,
  Y: Float64Array,
  D: number,
  nI: number,
  nJ: number,
  ranges?: KernelRanges,
) {
  const value: number[] = [];
  const index: number[] = [];
  for (let i = 0; i < nI; i++) {
    let best = Number.POSITIVE_INFINITY;
    let at = -1;
    for (const j of columnsOf(ranges, i, nJ)) {
      let s = 0;
      for (let k = 0; k < D; k++) s += (X[i * D + k]! - Y[j * D + k]!) ** 2;
      if (s < best || (s === best && (at < 0 || j < at))) {
        best = s;
        at = j;
      }
    }
    value.push(best);
    index.push(at);
  }
  return { value, index };
}

/** Row blocks whose column ranges overlap and decrease (columns visited twice, out of order). */
function overlapping(nI: number, nJ: number): KernelRanges {
  const h = Math.floor(nI / 2);
  const a = Math.floor(nJ / 3);
  return {
    rowRanges: Int32Array.of(0, h, h, nI),
    slices: Int32Array.of(2, 4),
    colRanges: Int32Array.of(a, nJ, 0, 2 * a, 2 * a, nJ, 0, a + 1),
  };
}

interface Case {
  kind: 'Min' | 'ArgMin' | 'Min_ArgMin';
  D: number;
}
const CASES: Case[] = [
  { kind: 'Min_ArgMin', D: 3 },
  { kind: 'Min_ArgMin', D: 1 },
  { kind: 'Min_ArgMin', D: 2 },
  { kind: 'ArgMin', D: 7 },
  { kind: 'Min', D: 16 },
  { kind: 'Min_ArgMin', D: 16 },
  { kind: 'Min', D: 3 },
  { kind: 'ArgMin', D: 3 },
];

describe('mixed ranking: results of the direct path and of a dense float64 loop', () => {
  let kernels: { fast: NativeKernel; direct: NativeKernel; spec: KernelSpec }[] = [];
  beforeAll(() => {
    useSharedCache();
    const specs = CASES.map((c) => specOf(op('SqDist', [x(c.D), y(c.D)]), c.kind));
    setNativeOptions({ mixedRank: false });
    const direct = precompileNative(specs);
    setNativeOptions({ mixedRank: undefined });
    const fast = precompileNative(specs);
    for (const k of [...direct, ...fast]) expect(k.waitReady()).toBe('ready');
    kernels = specs.map((spec, n) => ({ spec, fast: fast[n]!, direct: direct[n]! }));
    for (const s of specs) expect(mixedRanking(s)).toBeDefined();
  }, 600_000);

  CASES.forEach((c, n) => {
    it(`${c.kind} D=${c.D}: every kind of data, dense and block-sparse`, () => {
      const { fast, direct, spec } = kernels[n]!;
      const sizes: [number, number][] = [
        [1, 1],
        [9, 70],
        [64, 1],
        [65, 2],
        [300, 50],
        [1000, 37],
        [130, 700],
        [600, 130],
      ];
      for (const kind of KINDS) {
        const all: [number, number, KernelRanges?][] = [
          ...sizes,
          [301, 290, randomRanges(301, 290, 11 + n)],
          [200, 45, overlapping(200, 45)],
        ];
        all.forEach(([nI, nJ, ranges], q) => {
          const { X, Y } = data(kind, c.D, nI, nJ, 1000 * n + q);
          const got = runNative(fast, spec, X, Y, nI, nJ, ranges);
          const label = `${kind} ${nI}x${nJ}${ranges ? ' ranges' : ''}`;
          const want = reference(X, Y, c.D, nI, nJ, ranges);
          if (spec.outDim > 0) expect(got.out, label).toEqual(want.value);
          if (spec.outIdxDim > 0) expect(got.outIdx, label).toEqual(want.index);
          const same = runNative(direct, spec, X, Y, nI, nJ, ranges);
          expect(got, label).toEqual(same);
        });
      }
    });
  });

  it('full-precision data (uniform, Gaussian blobs far from the origin): the direct path bit for bit', () => {
    const { fast, direct, spec } = kernels[0]!;
    const r = rng(7);
    const D = 3;
    for (const [nI, nJ, off] of [
      [5000, 50, 0],
      [3001, 333, 1e8],
      [777, 5, -3.5],
    ] as const) {
      const centres = Array.from({ length: nJ * D }, () => off + r());
      const X = Float64Array.from(
        { length: nI * D },
        (_, k) => centres[(k % D) + D * Math.floor(r() * nJ)]! + 0.03 * (r() - 0.5),
      );
      const Y = Float64Array.from(centres);
      const got = runNative(fast, spec, X, Y, nI, nJ);
      expect(got).toEqual(runNative(direct, spec, X, Y, nI, nJ));
      // Rows whose nearest column is far ahead of the second: the reference's column.
      const want = reference(X, Y, D, nI, nJ);
      let checked = 0;
      for (let i = 0; i < nI; i++) {
        const d = Array.from({ length: nJ }, (_, j) => {
          let s = 0;
          for (let k = 0; k < D; k++) s += (X[i * D + k]! - Y[j * D + k]!) ** 2;
          return s;
        }).sort((a, b) => a - b);
        if (d.length > 1 && d[1]! - d[0]! > 1e-9 * (1 + d[1]!)) {
          expect(got.outIdx[i], `row ${i}`).toBe(want.index[i]);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(nI / 2);
    }
  });
});
