import { describe, expect, it } from 'vitest';
import {
  type DiagonalBlock,
  LazyTensorError,
  Pm,
  type Ranges,
  rangesFromMask,
  reduceBlockDiagonal,
  Vi,
  Vj,
} from '../../src/index.js';
import { mulberry32 } from '../../src/random.js';
import { backendsUnderTest } from '../helpers/backends.js';

/**
 * reduceBlockDiagonal: several reductions of one formula structure with their own data run as
 * one engine call. Every block's result must equal the block run alone and a dense float64
 * reference written here with plain loops (restricted to the kept pairs when the block has
 * ranges).
 */

const D = 2;

function points(n: number, seed: number, batch: number[] = []): { data: Float64Array; shape: number[] } {
  const r = mulberry32(seed);
  const len = batch.reduce((s, b) => s * b, 1) * n * D;
  return { data: Float64Array.from({ length: len }, () => 2 * r() - 1), shape: [...batch, n, D] };
}

function column(n: number, seed: number, batch: number[] = []): { data: Float64Array; shape: number[] } {
  const r = mulberry32(seed);
  const len = batch.reduce((s, b) => s * b, 1) * n;
  return { data: Float64Array.from({ length: len }, () => r()), shape: [...batch, n, 1] };
}

interface Case {
  x: { data: Float64Array; shape: number[] };
  y: { data: Float64Array; shape: number[] };
  h: { data: Float64Array; shape: number[] };
  /** Kept (i, j) pairs, all when undefined. */
  keep?: (i: number, j: number) => boolean;
  ranges?: Ranges;
}

const S = 1.7;

/** F_ij = h_j − S·|x_i − y_j|², as a LazyTensor of the case's data. */
function logits(c: Case) {
  return Vj(c.h).sub(Vi(c.x).sqdist(Vj(c.y)).mul(Pm(S)));
}

function block(c: Case, weighted = false): DiagonalBlock {
  const X = Vi(c.x);
  const Y = Vj(c.y);
  const F = Vj(c.h).sub(X.sqdist(Y).mul(Pm(S)));
  return weighted ? { formula: F, weight: X.sub(Y), ranges: c.ranges } : { formula: F, ranges: c.ranges };
}

/** Dense float64 reference: per row, log Σ_j exp F_ij and Σ_j softmax_j(F_ij)(x_i − y_j), per batch. */
function reference(c: Case): { lse: Float64Array; ssw: Float64Array } {
  const n = c.x.shape[c.x.shape.length - 2]!;
  const m = c.y.shape[c.y.shape.length - 2]!;
  const B = c.x.data.length / (n * D);
  const lse = new Float64Array(B * n);
  const ssw = new Float64Array(B * n * D);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) {
      const f: number[] = [];
      const js: number[] = [];
      for (let j = 0; j < m; j++) {
        if (c.keep && !c.keep(i, j)) continue;
        let d2 = 0;
        for (let k = 0; k < D; k++)
          d2 += (c.x.data[(b * n + i) * D + k]! - c.y.data[(b * m + j) * D + k]!) ** 2;
        f.push(c.h.data[b * m + j]! - S * d2);
        js.push(j);
      }
      const mx = Math.max(...f);
      let s = 0;
      const acc = new Float64Array(D);
      f.forEach((v, t) => {
        const w = Math.exp(v - mx);
        s += w;
        for (let k = 0; k < D; k++)
          acc[k]! += w * (c.x.data[(b * n + i) * D + k]! - c.y.data[(b * m + js[t]!) * D + k]!);
      });
      lse[b * n + i] = mx + Math.log(s);
      for (let k = 0; k < D; k++) ssw[(b * n + i) * D + k] = acc[k]! / s;
    }
  }
  return { lse, ssw };
}

function plain(n: number, m: number, seed: number, batch: number[] = []): Case {
  return { x: points(n, seed, batch), y: points(m, seed + 1, batch), h: column(m, seed + 2, batch) };
}

/** A case whose reduction keeps only cluster pairs of a mask (rows in 3 clusters, columns in 2). */
function masked(seed: number): Case {
  const c = plain(7, 5, seed);
  const rowsR = new Int32Array([0, 2, 2, 5, 5, 7]);
  const colsR = new Int32Array([0, 3, 3, 5]);
  const mask = [1, 0, 0, 1, 1, 1];
  const cluster = (r: Int32Array, k: number) => {
    for (let t = 0; t < r.length / 2; t++) if (k >= r[2 * t]! && k < r[2 * t + 1]!) return t;
    return -1;
  };
  c.ranges = rangesFromMask(rowsR, colsR, mask);
  c.keep = (i, j) => mask[cluster(rowsR, i) * 2 + cluster(colsR, j)] === 1;
  return c;
}

for (const backend of backendsUnderTest()) {
  describe(`reduceBlockDiagonal on ${backend}`, () => {
    const o = { backend };

    it('LogSumExp: each block equals its separate reduction and the dense reference', () => {
      const cases = [plain(5, 7, 1), plain(3, 1, 11), plain(8, 4, 21), masked(31)];
      const out = reduceBlockDiagonal(
        cases.map((c) => block(c)),
        'LogSumExp',
        'j',
        o,
      );
      cases.forEach((c, k) => {
        const got = out[k]!.values!;
        const n = c.x.shape[0]!;
        expect(got.shape).toEqual([n, 1]);
        const ref = reference(c).lse;
        const alone = logits(c).logsumexp('j', { ...o, ranges: c.ranges }).data;
        for (let i = 0; i < n; i++) {
          expect(got.data[i]!).toBeCloseTo(ref[i]!, 10);
          expect(got.data[i]!).toBeCloseTo(alone[i]!, 12);
        }
      });
    });

    it('SumSoftMaxWeight with a weight, batched and unbatched blocks mixed', () => {
      const cases = [plain(4, 6, 41, [2]), plain(6, 3, 51), masked(61)];
      const out = reduceBlockDiagonal(
        cases.map((c) => block(c, true)),
        'SumSoftMaxWeight',
        'j',
        o,
      );
      expect(out[0]!.values!.shape).toEqual([2, 4, D]);
      cases.forEach((c, k) => {
        const ref = reference(c).ssw;
        const got = out[k]!.values!.data;
        expect(got.length).toBe(ref.length);
        for (let t = 0; t < ref.length; t++) expect(got[t]!).toBeCloseTo(ref[t]!, 10);
      });
    });

    it('reductions over i use the transposed half of each block (and its ranges)', () => {
      const cases = [plain(5, 4, 71), masked(81)];
      const out = reduceBlockDiagonal(
        cases.map((c) => ({ formula: logits(c), ranges: c.ranges })),
        'Sum',
        'i',
        o,
      );
      cases.forEach((c, k) => {
        const n = c.x.shape[0]!;
        const m = c.y.shape[0]!;
        const got = out[k]!.values!;
        expect(got.shape).toEqual([m, 1]);
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let i = 0; i < n; i++) {
            if (c.keep && !c.keep(i, j)) continue;
            let d2 = 0;
            for (let q = 0; q < D; q++) d2 += (c.x.data[i * D + q]! - c.y.data[j * D + q]!) ** 2;
            s += c.h.data[j]! - S * d2;
          }
          expect(got.data[j]!).toBeCloseTo(s, 10);
        }
      });
    });

    it('ArgMin indices are local to each block and batch', () => {
      const cases = [plain(3, 5, 91), plain(4, 6, 101, [2])];
      const out = reduceBlockDiagonal(
        cases.map((c) => ({ formula: Vi(c.x).sqdist(Vj(c.y)) })),
        'ArgMin',
        'j',
        o,
      );
      cases.forEach((c, k) => {
        const n = c.x.shape[c.x.shape.length - 2]!;
        const m = c.y.shape[c.y.shape.length - 2]!;
        const got = out[k]!.indices!.data;
        for (let r = 0; r < got.length; r++) {
          const b = Math.floor(r / n);
          let best = -1;
          let bestV = Number.POSITIVE_INFINITY;
          for (let j = 0; j < m; j++) {
            let d2 = 0;
            for (let q = 0; q < D; q++) d2 += (c.x.data[r * D + q]! - c.y.data[(b * m + j) * D + q]!) ** 2;
            if (d2 < bestV) {
              bestV = d2;
              best = j;
            }
          }
          expect(got[r]).toBe(best);
        }
      });
    });
  });
}

describe('reduceBlockDiagonal input checks', () => {
  const c = plain(3, 4, 7);
  it('rejects blocks of different formula structures', () => {
    expect(() =>
      reduceBlockDiagonal([{ formula: logits(c) }, { formula: Vi(c.x).sqdist(Vj(c.y)) }], 'LogSumExp', 'j', {
        backend: 'js',
      }),
    ).toThrow(/block 1 has another formula structure than block 0/);
  });
  it('rejects parameters that differ between blocks', () => {
    const f = (s: number) => ({ formula: Vi(c.x).sqdist(Vj(c.y)).mul(Pm(s)) });
    expect(() => reduceBlockDiagonal([f(1), f(2)], 'Sum', 'j', { backend: 'js' })).toThrow(LazyTensorError);
    expect(() => reduceBlockDiagonal([f(1), f(2)], 'Sum', 'j', { backend: 'js' })).toThrow(
      /parameter #\d+ differs between block 0 and block 1/,
    );
  });
  it('rejects an empty list and an undefined reduction over a block with no columns', () => {
    expect(() => reduceBlockDiagonal([], 'Sum', 'j')).toThrow(/at least one block/);
    const empty = plain(3, 0, 9);
    expect(() =>
      reduceBlockDiagonal([block(c, true), block(empty, true)], 'SumSoftMaxWeight', 'j', { backend: 'js' }),
    ).toThrow(/the reduced size is 0/);
  });
  it('rejects ranges on a batched block', () => {
    const b = plain(2, 3, 13, [2]);
    const r = rangesFromMask(new Int32Array([0, 2]), new Int32Array([0, 3]), [1]);
    expect(() => reduceBlockDiagonal([{ formula: logits(b), ranges: r }], 'Sum', 'j')).toThrow(
      /ranges cannot be combined with batch dimensions/,
    );
  });
});
