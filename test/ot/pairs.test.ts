import { describe, expect, it } from 'vitest';
import { rangesFromMask } from '../../src/lazy/clusters.js';
import { type Ranges, transposeRanges } from '../../src/lazy/ranges.js';
import { type Cost, makeCost } from '../../src/ot/cost.js';
import { type Cloud, readCloud } from '../../src/ot/input.js';
import { resolveOptions } from '../../src/ot/options.js';
import { softGrads, softmins } from '../../src/ot/pairBatch.js';
import { OnlinePair, type PairOps } from '../../src/ot/pairs.js';
import type { SinkhornProblem } from '../../src/ot/problem.js';
import { pairFactory } from '../../src/ot/samplesLoss.js';
import { runSinkhorn } from '../../src/ot/sinkhornDivergence.js';
import { mulberry32 } from '../../src/random.js';
import { backendsUnderTest } from '../helpers/backends.js';

/**
 * Ranges-aware pair operators (the fine level of a multiscale Sinkhorn): with ranges that keep
 * every block they equal the unranged operators; with a sparse block mask they equal a dense
 * float64 reference written here that skips the masked pairs; the transposed pair takes the
 * transposed ranges; fused softmins of ranged pairs equal the separate ones.
 */

const D = 2;
const N = 9;
const M = 7;
/** Row clusters (3) and column clusters (3), as index ranges. */
const ROWS_R = new Int32Array([0, 3, 3, 6, 6, 9]);
const COLS_R = new Int32Array([0, 2, 2, 5, 5, 7]);
/** Kept cluster pairs (every row cluster keeps at least one column cluster and vice versa). */
const SPARSE = [1, 0, 1, 0, 1, 0, 1, 1, 0];
const FULL = [1, 1, 1, 1, 1, 1, 1, 1, 1];

function data(n: number, seed: number, len = n * D): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: len }, () => 2 * r() - 1);
}

const xData = data(N, 1);
const yData = data(M, 2);
const x: Cloud = readCloud({ data: xData, shape: [N, D] }, 'x');
const y: Cloud = readCloud({ data: yData, shape: [M, D] }, 'y');

function clusterOf(r: Int32Array, k: number): number {
  for (let t = 0; t < r.length / 2; t++) if (k >= r[2 * t]! && k < r[2 * t + 1]!) return t;
  throw new Error('no cluster');
}

/** The costs under test with their float64 value and gradient in the first point. */
const COSTS: {
  name: string;
  cost: Cost;
  c: (u: number[], v: number[]) => number;
  g: (u: number[], v: number[]) => number[];
}[] = [
  {
    name: 'p = 2',
    cost: makeCost(2, undefined, D),
    c: (u, v) => 0.5 * u.reduce((s, ui, k) => s + (ui - v[k]!) ** 2, 0),
    g: (u, v) => u.map((ui, k) => ui - v[k]!),
  },
  {
    name: 'asymmetric custom (autodiff)',
    cost: makeCost(2, 'SqDist(X,Y) / IntCst(2) + Sum(X) / IntCst(4)', D),
    c: (u, v) => 0.5 * u.reduce((s, ui, k) => s + (ui - v[k]!) ** 2, 0) + u.reduce((s, ui) => s + ui, 0) / 4,
    g: (u, v) => u.map((ui, k) => ui - v[k]! + 0.25),
  },
];

const row = (a: Float64Array, i: number) => Array.from(a.subarray(i * D, (i + 1) * D));

/**
 * Dense float64 reference of the four operators of the pair (rows u, columns v), C_ij =
 * c(u_i, v_j) (or c(v_j, u_i) when swapped), visiting only the kept (i, j).
 */
function reference(
  cst: (typeof COSTS)[number],
  u: Float64Array,
  v: Float64Array,
  swap: boolean,
  keep: (i: number, j: number) => boolean,
) {
  const n = u.length / D;
  const m = v.length / D;
  const C = (i: number, j: number) => (swap ? cst.c(row(v, j), row(u, i)) : cst.c(row(u, i), row(v, j)));
  // ∇ in u_i; for swapped pairs use a central difference of the float64 closed form.
  const G = (i: number, j: number) => {
    if (!swap) return cst.g(row(u, i), row(v, j));
    return row(u, i).map((_, k) => {
      const e = 1e-6;
      const up = row(u, i);
      const dn = row(u, i);
      up[k]! += e;
      dn[k]! -= e;
      return (cst.c(row(v, j), up) - cst.c(row(v, j), dn)) / (2 * e);
    });
  };
  return {
    softmin(eps: number, h: Float64Array) {
      return Float64Array.from({ length: n }, (_, i) => {
        const f: number[] = [];
        for (let j = 0; j < m; j++) if (keep(i, j)) f.push(h[j]! - C(i, j) / eps);
        const mx = Math.max(...f);
        return -eps * (mx + Math.log(f.reduce((s, t) => s + Math.exp(t - mx), 0)));
      });
    },
    softGrad(eps: number, h: Float64Array) {
      const out = new Float64Array(n * D);
      for (let i = 0; i < n; i++) {
        let mx = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < m; j++) if (keep(i, j)) mx = Math.max(mx, h[j]! - C(i, j) / eps);
        let s = 0;
        for (let j = 0; j < m; j++) {
          if (!keep(i, j)) continue;
          const w = Math.exp(h[j]! - C(i, j) / eps - mx);
          s += w;
          G(i, j).forEach((gk, k) => {
            out[i * D + k]! += w * gk;
          });
        }
        for (let k = 0; k < D; k++) out[i * D + k]! /= s;
      }
      return out;
    },
    weightedSum(eps: number, hI: Float64Array, hJ: Float64Array, w: Float64Array) {
      return Float64Array.from({ length: n }, (_, i) => {
        let s = 0;
        for (let j = 0; j < m; j++) if (keep(i, j)) s += Math.exp(hI[i]! + hJ[j]! - C(i, j) / eps) * w[j]!;
        return s;
      });
    },
    weightedGrad(eps: number, hI: Float64Array, hJ: Float64Array, w: Float64Array) {
      const out = new Float64Array(n * D);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < m; j++) {
          if (!keep(i, j)) continue;
          const k0 = Math.exp(hI[i]! + hJ[j]! - C(i, j) / eps) * w[j]!;
          G(i, j).forEach((gk, k) => {
            out[i * D + k]! += k0 * gk;
          });
        }
      return out;
    },
  };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, digits: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let k = 0; k < want.length; k++) expect(got[k]!, `${what} [${k}]`).toBeCloseTo(want[k]!, digits);
}

const EPS = 0.3;
const hRow = data(M, 3, M).map((v) => 0.5 * v);
const hCol = data(N, 4, N).map((v) => 0.5 * v);
const wCol = data(M, 5, M).map((v) => 1.5 + v);
const wRow = data(N, 6, N).map((v) => 1.5 + v);

/** All four operators of a pair, against a reference (or another pair) at `digits`. */
function expectOps(p: PairOps, ref: ReturnType<typeof reference> | PairOps, digits: number, what: string) {
  const m = p.m;
  const n = p.n;
  const h = m === M ? hRow : hCol;
  const hI = (n === N ? hCol : hRow).map((v) => -0.2 * v);
  const w = m === M ? wCol : wRow;
  expectClose(p.softmin(EPS, h), ref.softmin(EPS, h), digits, `${what}: softmin`);
  expectClose(p.softGrad(EPS, h), ref.softGrad(EPS, h), digits - 2, `${what}: softGrad`);
  expectClose(p.weightedSum(EPS, hI, h, w), ref.weightedSum(EPS, hI, h, w), digits, `${what}: weightedSum`);
  expectClose(
    p.weightedGrad(EPS, hI, h, w),
    ref.weightedGrad(EPS, hI, h, w),
    digits - 2,
    `${what}: weightedGrad`,
  );
}

function mask(keep: number[]): { ranges: Ranges; keep: (i: number, j: number) => boolean } {
  return {
    ranges: rangesFromMask(ROWS_R, COLS_R, keep),
    keep: (i, j) => keep[clusterOf(ROWS_R, i) * 3 + clusterOf(COLS_R, j)] === 1,
  };
}

for (const backend of backendsUnderTest()) {
  for (const cst of COSTS) {
    describe(`ranged pair operators on ${backend}, ${cst.name}`, () => {
      const engine = { compute: backend };
      it('ranges keeping every block give the unranged results', () => {
        const full = new OnlinePair(x, y, cst.cost, false, engine, mask(FULL).ranges);
        const plain = new OnlinePair(x, y, cst.cost, false, engine);
        expectOps(full, plain, 12, 'full ranges vs none');
        expectOps(
          plain,
          reference(cst, xData, yData, false, () => true),
          10,
          'unranged vs dense',
        );
      });

      it('a sparse block mask equals the dense reference restricted to the kept pairs', () => {
        const { ranges, keep } = mask(SPARSE);
        const p = new OnlinePair(x, y, cst.cost, false, engine, ranges);
        expectOps(p, reference(cst, xData, yData, false, keep), 10, 'sparse');
        // The mask matters: the unranged softmin differs.
        const plain = new OnlinePair(x, y, cst.cost, false, engine).softmin(EPS, hRow);
        expect(Math.max(...p.softmin(EPS, hRow).map((v, i) => Math.abs(v - plain[i]!)))).toBeGreaterThan(
          1e-3,
        );
      });

      it('the transposed pair keeps the same (x_i, y_j) blocks', () => {
        const { ranges, keep } = mask(SPARSE);
        const t = new OnlinePair(x, y, cst.cost, false, engine, ranges).transpose();
        expect(t.swap).toBe(true);
        expectOps(
          t,
          reference(cst, yData, xData, true, (j, i) => keep(i, j)),
          10,
          'transposed',
        );
      });

      it('fused softmins and soft gradients of ranged pairs equal the separate ones', () => {
        const { ranges } = mask(SPARSE);
        const xy = new OnlinePair(x, y, cst.cost, false, engine, ranges);
        const yx = xy.transpose();
        const xx = new OnlinePair(x, x, cst.cost, false, engine);
        const jobs = [
          { pair: yx, h: hCol },
          { pair: xy, h: hRow },
          { pair: xx, h: hCol },
        ];
        const fused = softmins(EPS, jobs);
        jobs.forEach((j, k) => {
          expectClose(fused[k]!, j.pair.softmin(EPS, j.h), 12, `fused softmin ${k}`);
        });
        const grads = softGrads(EPS, jobs);
        jobs.forEach((j, k) => {
          expectClose(grads[k]!, j.pair.softGrad(EPS, j.h), 12, `fused softGrad ${k}`);
        });
      });
    });
  }
}

describe('ranged pair operators: input checks', () => {
  it('rejects ranges on batched clouds and ranges of the wrong size', () => {
    const cost = makeCost(2, undefined, D);
    const xb = readCloud({ data: data(N, 7, 2 * N * D), shape: [2, N, D] }, 'x');
    expect(() => new OnlinePair(xb, xb, cost, false, {}, mask(FULL).ranges)).toThrow(
      /pair ranges need unbatched clouds \[N, D\], got shapes \[2, 9, 2\]/,
    );
    // Ranges for 9 × 7 points on a 7 × 9 pair.
    expect(() => new OnlinePair(y, x, cost, false, {}, mask(SPARSE).ranges)).toThrow(/ranges\.ranges_i/);
  });
});

describe('the Sinkhorn loop on ranged pairs (the multiscale seam)', () => {
  const opts = resolveOptions({ blur: 0.2, scaling: 0.7, compute: 'js' });
  const cost = makeCost(2, undefined, D);
  const a = new Float64Array(N).fill(1 / N);
  const b = new Float64Array(M).fill(1 / M);
  const ones = (k: number) => new Array(k).fill(1);
  /** Ranges keeping the given cluster pairs of x × y, and every pair of x × x and y × y. */
  const problem = (keep: number[] | undefined, backend: 'online' | 'tensorized'): SinkhornProblem => {
    const make = pairFactory(opts, backend, cost);
    const xy = keep && rangesFromMask(ROWS_R, COLS_R, keep);
    return {
      x,
      y,
      a,
      b,
      opts,
      cost,
      backend,
      makePair: (rows, cols, swap) => {
        if (!keep) return make(rows, cols, swap);
        if (rows === x && cols === y) return make(rows, cols, swap, xy);
        if (rows === y && cols === x) return make(rows, cols, swap, transposeRanges(xy!));
        const r = rows === x ? ROWS_R : COLS_R;
        return make(rows, cols, swap, rangesFromMask(r, r, ones((r.length / 2) ** 2)));
      },
    };
  };
  for (const backend of ['online', 'tensorized'] as const) {
    it(`ranges keeping every block give the unranged potentials (${backend})`, () => {
      const plain = runSinkhorn(problem(undefined, backend), true).st;
      const full = runSinkhorn(problem(FULL, backend), true).st;
      expectClose(full.fBA, plain.fBA, 12, 'f');
      expectClose(full.gAB, plain.gAB, 12, 'g');
      expectClose(full.fAA!, plain.fAA!, 12, 'f_aa');
      const sparse = runSinkhorn(problem(SPARSE, backend), true).st;
      expect(Math.max(...sparse.fBA.map((v, i) => Math.abs(v - plain.fBA[i]!)))).toBeGreaterThan(1e-3);
    });
  }
});
