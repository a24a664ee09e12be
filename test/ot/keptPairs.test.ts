import { describe, expect, it } from 'vitest';
import type { Kept } from '../../src/lazy/keptRanges.js';
import type { Level } from '../../src/ot/hierarchy.js';
import { truncate } from '../../src/ot/keptPairs.js';
import { cloud, rng } from './reference.js';

/** A level of n points in D dims whose children are consecutive blocks of the given sizes. */
function level(r: () => number, n: number, d: number, sizes: number[], f32 = false): Level {
  const data = cloud(r, n, d);
  const children = new Int32Array(2 * n);
  let at = 0;
  sizes.forEach((s, k) => {
    children[2 * k] = at;
    children[2 * k + 1] = at + s;
    at += s;
  });
  return {
    cloud: {
      data: f32 ? Float32Array.from(data) : data,
      B: 1,
      n,
      d,
      dtype: f32 ? 'float32' : 'float64',
      batched: false,
      shape: [n, d],
    },
    weights: new Float64Array(n).fill(1 / n),
    children,
  };
}

/** The kept pairs as a dense 0/1 matrix. */
function dense(k: Kept): number[][] {
  const K = k.start.length - 1;
  return Array.from({ length: K }, (_, r) => {
    const row = new Array<number>(k.nCols).fill(0);
    for (let t = k.start[r]!; t < k.start[r + 1]!; t++) row[k.cols[t]!]!++;
    return row;
  });
}

/** Dense float64 reference of the truncation test f_k + g_l > C(u_k, v_l) − t, C = |u − v|^p / p. */
function reference(
  u: Level,
  v: Level,
  f: Float64Array,
  g: Float64Array,
  p: number,
  t: number,
  allowed?: number[][],
) {
  const d = u.cloud.d;
  const K = u.cloud.n;
  const L = v.cloud.n;
  const cu = u.children!;
  const cv = v.children!;
  const pairs = (k: number, l: number) => (cu[2 * k + 1]! - cu[2 * k]!) * (cv[2 * l + 1]! - cv[2 * l]!);
  /** f_k + g_l − C_kl, or −∞ for a pair that is not a candidate. */
  const gap = (k: number, l: number) => {
    if (allowed && !allowed[k]![l]) return Number.NEGATIVE_INFINITY;
    let s = 0;
    for (let c = 0; c < d; c++) s += (u.cloud.data[k * d + c]! - v.cloud.data[l * d + c]!) ** 2;
    return f[k]! + g[l]! - (p === 2 ? s / 2 : Math.sqrt(s));
  };
  let finer = 0;
  const keep = Array.from({ length: K }, (_, k) =>
    Array.from({ length: L }, (_, l): number => {
      if (!(gap(k, l) > -t)) return 0;
      finer += pairs(k, l);
      return 1;
    }),
  );
  // A row, then a column, left without pairs keeps its best candidate (first largest gap).
  const best = (n: number, at: (q: number) => number) => {
    let arg = -1;
    for (let q = 0; q < n; q++) if (at(q) > (arg < 0 ? Number.NEGATIVE_INFINITY : at(arg))) arg = q;
    return arg;
  };
  for (let k = 0; k < K; k++) {
    const l = best(L, (q) => gap(k, q));
    if (keep[k]!.every((x) => x === 0) && l >= 0) {
      keep[k]![l] = 1;
      finer += pairs(k, l);
    }
  }
  for (let l = 0; l < L; l++) {
    const k = best(K, (q) => gap(q, l));
    if (keep.every((row) => row[l] === 0) && k >= 0) {
      keep[k]![l] = 1;
      finer += pairs(k, l);
    }
  }
  return { keep, finer };
}

const potentials = (r: () => number, n: number) => Float64Array.from({ length: n }, () => 0.1 * r() - 0.05);

describe('kernel truncation (kept cluster pairs)', () => {
  for (const p of [1, 2])
    it(`keeps exactly the pairs of a dense reference, every pair a candidate (p = ${p})`, () => {
      const r = rng(40 + p);
      const u = level(
        r,
        37,
        3,
        Array.from({ length: 37 }, (_, k) => 1 + (k % 4)),
      );
      const v = level(
        r,
        29,
        3,
        Array.from({ length: 29 }, (_, k) => 2 + (k % 3)),
      );
      const f = potentials(r, 37);
      const g = potentials(r, 29);
      const t = p === 2 ? 0.04 : 0.45;
      const got = truncate(u, v, undefined, f, g, p, t);
      const ref = reference(u, v, f, g, p, t);
      expect(dense(got.kept)).toEqual(ref.keep);
      expect(got.finerPairs).toBe(ref.finer);
      // Neither everything nor nothing: the test decides.
      const n = ref.keep.flat().reduce((s, x) => s + x, 0);
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(37 * 29);
    });

  it('a row or column whose pairs all fail the test keeps its best pair (no infinite softmin)', () => {
    const r = rng(9);
    const u = level(r, 3, 2, [1, 1, 1]);
    const v = level(r, 2, 2, [1, 1]);
    // Row 2 and column 1 fail everywhere: f_2 and g_1 far below every cost.
    const f = Float64Array.from([0, 0, -10]);
    const g = Float64Array.from([0, -10]);
    const got = dense(truncate(u, v, undefined, f, g, 2, 1).kept);
    const ref = reference(u, v, f, g, 2, 1);
    expect(got).toEqual(ref.keep);
    for (const row of got) expect(row.some((x) => x === 1)).toBe(true);
    for (let l = 0; l < 2; l++) expect(got.some((row) => row[l] === 1)).toBe(true);
  });

  it('restricted to the children of the coarser kept pairs, float32 points', () => {
    const r = rng(7);
    // Coarse: 4 row clusters (children 0..2, 3..5, 6..8, 9..10) and 3 column clusters.
    const upU = level(r, 4, 2, [3, 3, 3, 2]);
    const upV = level(r, 3, 2, [4, 3, 5]);
    const upKept: Kept = {
      start: Int32Array.from([0, 2, 3, 3, 5]),
      cols: Int32Array.from([0, 2, 1, 0, 1]),
      nCols: 3,
    };
    const u = level(
      r,
      11,
      2,
      Array.from({ length: 11 }, (_, k) => 1 + (k % 2)),
      true,
    );
    const v = level(
      r,
      12,
      2,
      Array.from({ length: 12 }, (_, k) => 1 + (k % 3)),
      true,
    );
    const f = potentials(r, 11);
    const g = potentials(r, 12);
    const parentU = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3];
    const parentV = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2];
    const coarse = dense(upKept);
    const allowed = parentU.map((P) => parentV.map((Q): number => coarse[P]![Q]!));
    const t = 0.3;
    const got = truncate(u, v, { u: upU, v: upV, kept: upKept }, f, g, 2, t);
    const ref = reference(u, v, f, g, 2, t, allowed);
    expect(dense(got.kept)).toEqual(ref.keep);
    expect(got.finerPairs).toBe(ref.finer);
    const n = ref.keep.flat().reduce((s, x) => s + x, 0);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(allowed.flat().reduce((s, x) => s + x, 0));
  });
});
