import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { allPairs, keptRanges, transposeKept } from '../../src/lazy/keptRanges.js';
import { labelHierarchy } from '../../src/ot/hierarchy.js';
import { exactOT, samplesLoss } from '../../src/ot/index.js';
import { resolveOptions } from '../../src/ot/options.js';
import { AUTO_MULTISCALE_PAIRS, pickBackend } from '../../src/ot/samplesLoss.js';
import { cloud, nd, relErr, rng } from './reference.js';

describe("backend 'multiscale' (two levels, truncated kernel)", () => {
  const cases: [number, number | undefined, boolean][] = [
    [2, undefined, false],
    [3, 0.5, false],
    [5, undefined, true],
  ];
  for (const [d, reach, labels] of cases) {
    it(`equals online when both are converged with tol: D = ${d}, reach ${reach}, ${labels ? 'user labels' : 'grid'}`, () => {
      const r = rng(11 + d);
      const n = 300;
      const m = 250;
      const x = cloud(r, n, d);
      const y = cloud(r, m, d, 0.2);
      const opts = { blur: 0.1, reach, tol: 1e-7 };
      const extra = labels
        ? {
            labelsX: Int32Array.from({ length: n }, (_, i) => Math.floor(x[i * d]! * 4)),
            labelsY: Int32Array.from({ length: m }, (_, j) => Math.floor(y[j * d]! * 4)),
          }
        : { clusterScale: 0.25 };
      const on = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...opts, backend: 'online' });
      const ms = samplesLoss(nd(x, [n, d]), nd(y, [m, d]), { ...opts, ...extra, backend: 'multiscale' });
      expect(Math.abs((ms.value as number) - (on.value as number))).toBeLessThan(
        1e-3 * Math.abs(on.value as number),
      );
      expect(relErr(ms.gradX.data, on.gradX.data)).toBeLessThan(2e-2);
      expect(relErr(ms.gradY.data, on.gradY.data)).toBeLessThan(2e-2);
      const levels = ms.convergence!.levels;
      expect(levels.length).toBe(2);
      expect(levels[1]!.points).toEqual([n, m]);
      expect(ms.convergence!.marginalError).toBeLessThanOrEqual(1e-7);
    });
  }

  it('more than two levels (default nested grids) equals online when both are converged', () => {
    const r = rng(3);
    const n = 1200;
    const m = 1000;
    const x = cloud(r, n, 3);
    const y = cloud(r, m, 3, 0.3);
    const opts = { blur: 0.05, scaling: 0.7, tol: 1e-5 };
    const on = samplesLoss(nd(x, [n, 3]), nd(y, [m, 3]), { ...opts, backend: 'online' });
    const ms = samplesLoss(nd(x, [n, 3]), nd(y, [m, 3]), { ...opts, backend: 'multiscale' });
    const levels = ms.convergence!.levels;
    expect(levels.length).toBeGreaterThan(2);
    expect(levels.at(-1)!.points).toEqual([n, m]);
    // Coarse to fine: more (clusters of) points at each level.
    for (let k = 1; k < levels.length; k++)
      expect(levels[k]!.points[0]).toBeGreaterThan(levels[k - 1]!.points[0]);
    expect(levels.at(-1)!.pairsVisited).toBeLessThan(1);
    expect(Math.abs((ms.value as number) - (on.value as number))).toBeLessThan(
      1e-3 * Math.abs(on.value as number),
    );
    expect(relErr(ms.gradX.data, on.gradX.data)).toBeLessThan(2e-2);
    expect(relErr(ms.gradY.data, on.gradY.data)).toBeLessThan(2e-2);
  });

  it('default schedule (scaling 0.5): within 10% of the converged value', () => {
    const r = rng(8);
    const n = 1000;
    const x = nd(cloud(r, n, 3), [n, 3]);
    const y = nd(cloud(r, n, 3, 0.3), [n, 3]);
    const ref = samplesLoss(x, y, { blur: 0.05, scaling: 0.9, tol: 1e-4, backend: 'online' }).value as number;
    const ms = samplesLoss(x, y, { blur: 0.05, backend: 'multiscale' }).value as number;
    expect(Math.abs(ms - ref)).toBeLessThan(0.1 * ref);
  });

  it('default grids at scaling 0.5: the cluster levels run down to their cell width, the points only the last steps', () => {
    const r = rng(31);
    const n = 3000;
    const x = nd(cloud(r, n, 3), [n, 3]);
    const y = nd(cloud(r, n, 3, 0.2), [n, 3]);
    const res = samplesLoss(x, y, { blur: 0.05, backend: 'multiscale', gradients: false });
    const levels = res.convergence!.levels;
    expect(levels.length).toBeGreaterThan(2);
    // ε = blur² and the step before it: the points' kernel is truncated at ε ≈ (2 blur)², not wider.
    expect(levels.at(-1)!.iterations).toBeLessThanOrEqual(2);
  });

  it('tends to exact OT (network simplex) as blur → 0', () => {
    const r = rng(21);
    const n = 500;
    const x = nd(cloud(r, n, 2), [n, 2]);
    const y = nd(cloud(r, n, 2, 0.4), [n, 2]);
    const exact = exactOT(x, y).value;
    const errs = [0.05, 0.01].map((blur) => {
      const v = samplesLoss(x, y, { blur, scaling: 0.8, backend: 'multiscale' }).value as number;
      return Math.abs(v - exact) / exact;
    });
    expect(errs[1]!).toBeLessThan(errs[0]!);
    expect(errs[1]!).toBeLessThan(1e-2);
  });

  it('kept cluster pairs → ranges that visit exactly the children blocks of the kept pairs', () => {
    // 3 row clusters over 6 rows, 4 column clusters over 7 columns; keep a sparse pattern.
    const rowR = Int32Array.from([0, 2, 2, 3, 3, 6]);
    const colR = Int32Array.from([0, 1, 1, 4, 4, 4, 4, 7]);
    const keepDense = [
      [1, 1, 0, 1],
      [0, 0, 0, 0],
      [0, 1, 1, 1],
    ];
    const all = allPairs(3, 4);
    const cols = Array.from(all.cols).filter((l, t) => keepDense[Math.floor(t / 4)]![l] === 1);
    const start = Int32Array.from([0, 3, 3, 6]);
    const kept = { start, cols: Int32Array.from(cols), nCols: 4 };
    const rg = keptRanges(rowR, colR, kept);
    const visits = (ranges: Int32Array, slices: Int32Array, red: Int32Array, nr: number, nc: number) => {
      const m = Array.from({ length: nr }, () => new Array<number>(nc).fill(0));
      for (let b = 0; b < slices.length; b++)
        for (let s = b === 0 ? 0 : slices[b - 1]!; s < slices[b]!; s++)
          for (let i = ranges[2 * b]!; i < ranges[2 * b + 1]!; i++)
            for (let j = red[2 * s]!; j < red[2 * s + 1]!; j++) m[i]![j]!++;
      return m;
    };
    const expected = Array.from({ length: 6 }, (_, i) =>
      Array.from({ length: 7 }, (_, j) => {
        const k = [0, 0, 1, 2, 2, 2][i]!;
        const l = [0, 1, 1, 1, 3, 3, 3][j]!;
        return keepDense[k]![l]!;
      }),
    );
    expect(visits(rg.ranges_i, rg.slices_i, rg.redranges_j, 6, 7)).toEqual(expected);
    const t = visits(rg.ranges_j, rg.slices_j, rg.redranges_i, 7, 6);
    expect(t.map((row, j) => row.map((_, i) => t[j]![i]))).toEqual(
      expected[0]!.map((_, j) => expected.map((row) => row[j])),
    );
    expect(transposeKept(transposeKept(kept))).toEqual(kept);
  });

  it("backend 'auto' picks multiscale from AUTO_MULTISCALE_PAIRS on (unbatched Sinkhorn, built-in cost)", () => {
    const big = Math.ceil(Math.sqrt(AUTO_MULTISCALE_PAIRS));
    const c = (n: number, B = 1) => ({
      data: new Float32Array(0),
      B,
      n,
      d: 3,
      dtype: 'float32' as const,
      batched: B > 1,
      shape: [n, 3],
    });
    const pick = (o: object, n: number, B = 1) => pickBackend(resolveOptions(o as never), c(n, B), c(n, B));
    expect(pick({}, big)).toBe('multiscale');
    expect(pick({}, big - 1000)).toBe('online');
    expect(pick({ loss: 'energy' }, big)).toBe('online');
    expect(pick({}, big, 2)).toBe('online');
  });

  it('user labels are renumbered: K distinct labels make K clusters, whatever their values', () => {
    const r = rng(8);
    const c = { data: new Float64Array(cloud(r, 4, 2)), B: 1, n: 4, d: 2, dtype: 'float64' as const };
    const cl = { ...c, batched: false, shape: [4, 2] };
    const w = new Float64Array(4).fill(0.25);
    const h = labelHierarchy(cl, w, new Int32Array([1000, 7, 1000, 7]), 0.1, 'labelsX');
    expect(h.levels[1]!.cloud.n).toBe(2);
    expect(Array.from(h.levels[1]!.weights)).toEqual([0.5, 0.5]);
    // The largest Int32 label: two clusters, not 2^31 empty ones (gigabytes before).
    const x = nd(cloud(r, 6, 2), [6, 2]);
    const y = nd(cloud(r, 5, 2), [5, 2]);
    const big = 2147483647;
    const o = { backend: 'multiscale' as const, blur: 0.1 };
    const huge = samplesLoss(x, y, {
      ...o,
      labelsX: new Int32Array([0, big, 0, big, 0, big]),
      labelsY: new Int32Array([big, 0, big, 0, big]),
    });
    const small = samplesLoss(x, y, {
      ...o,
      labelsX: new Int32Array([0, 1, 0, 1, 0, 1]),
      labelsY: new Int32Array([1, 0, 1, 0, 1]),
    });
    expect(huge.value).toBe(small.value);
  });

  it('one user cluster per point: every row keeps a pair, the value is finite and close to online', () => {
    const x = nd(Float64Array.from([0, 0, 1, 0, 0, 1, 1, 1]), [4, 2]);
    const y = nd(Float64Array.from([0.2, 0.1, 0.9, 0.3, 0.4, 0.8]), [3, 2]);
    const o = { blur: 0.01 };
    const on = samplesLoss(x, y, { ...o, backend: 'online' });
    const ms = samplesLoss(x, y, {
      ...o,
      backend: 'multiscale',
      labelsX: new Int32Array([0, 1, 2, 3]),
      labelsY: new Int32Array([0, 1, 2]),
    });
    // Was Infinity (a row of the truncated kernel kept no column) with NaN gradients.
    expect(Math.abs((ms.value as number) - (on.value as number))).toBeLessThan(1e-3 * (on.value as number));
    for (const v of [...ms.gradX.data, ...ms.gradY.data, ...ms.potentials.f.data])
      expect(Number.isFinite(v)).toBe(true);
  });

  it('bad input: labels of the wrong length, truncate ≤ 0, negative masses', () => {
    const r = rng(5);
    const x = nd(cloud(r, 20, 2), [20, 2]);
    const y = nd(cloud(r, 20, 2), [20, 2]);
    const bad = [
      () => samplesLoss(x, y, { backend: 'multiscale', labelsX: new Int32Array(3) }),
      () => samplesLoss(x, y, { backend: 'multiscale', truncate: 0 }),
      () => samplesLoss(x, y, { backend: 'multiscale', a: new Float64Array(20).fill(-0.05) }),
    ];
    for (const f of bad) expect(f).toThrow(LazyTensorError);
    expect(bad[0]).toThrow(/labelsX must have 20 labels/);
  });
});
