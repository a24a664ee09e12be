import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { gaussian, mulberry32 } from '../../src/random.js';
import { register } from '../../src/register/index.js';
import { axisAngle, bunnySamples, distance, keepWhere, rotationError, transformRows } from './helpers.js';

/** Points per cloud: affordable in CI, enough for sub-degree accuracy. */
const N = 1500;
const AXIS = [1, 2, 0.5];
const SHIFT = [0.2, -0.1, 0.3];

function rotated(deg: number, seed: number, scale = 1) {
  const R = axisAngle(AXIS, (deg * Math.PI) / 180);
  const target = transformRows(
    bunnySamples(N, seed),
    R.map((v) => v * scale),
    SHIFT,
  );
  return { R, target };
}

/** count points uniform in [−0.8, 0.8]³ at distance > 0.15 from every point of `surface`. */
function outliers(count: number, surface: Float64Array, seed: number): number[] {
  const r = mulberry32(seed);
  const out: number[] = [];
  while (out.length < 3 * count) {
    const p = [0, 1, 2].map(() => 1.6 * r() - 0.8);
    let near = Number.POSITIVE_INFINITY;
    for (let k = 0; k < surface.length; k += 3)
      near = Math.min(near, distance(p, surface.subarray(k, k + 3)));
    if (near > 0.15) out.push(...p);
  }
  return out;
}

describe('register: rigid', () => {
  const source = bunnySamples(N, 1);
  for (const deg of [75, 180]) {
    it(`recovers a ${deg}° rotation of independent noisy bunny samples (< 1°, translation < 0.3%)`, () => {
      const { R, target } = rotated(deg, 2);
      const steps: number[] = [];
      const r = register(source, target, { onProgress: (s) => steps.push(s) });
      expect(rotationError(r.transform!.rotation.data, R)).toBeLessThan(1);
      expect(distance(r.transform!.translation.data, SHIFT)).toBeLessThan(0.003);
      expect(r.transform!.scale).toBe(1);
      // The (D+1)×D matrix maps [x, 1] as apply() and aligned do.
      const M = r.transform!.matrix.data;
      const row = [...source.data.subarray(0, 3), 1];
      const viaMatrix = [0, 1, 2].map((c) => row.reduce((s, v, k) => s + v * M[k * 3 + c]!, 0));
      for (let c = 0; c < 3; c++) expect(r.aligned.data[c]).toBeCloseTo(viaMatrix[c]!, 10);
      expect(Array.from(r.apply(source).data)).toEqual(Array.from(r.aligned.data));
      expect(r.history.length).toBeGreaterThan(1);
      expect(steps.length).toBeGreaterThan(r.history.length); // the search reports progress too
      expect(r.loss).toBe(r.history[r.history.length - 1]);
    });
  }

  it('partial overlap: a third of the source cut away, 10% outliers in the target, 120°: < 1.5°', () => {
    const full = bunnySamples(N, 3);
    const xs = Array.from({ length: N }, (_, i) => full.data[3 * i]!).sort((p, q) => p - q);
    const cut = keepWhere(full, (p) => p[0]! < xs[Math.round((2 * N) / 3)]!);
    expect(cut.shape[0]).toBe(1000);
    const { R, target: clean } = rotated(120, 4);
    const planted = transformRows(
      { data: Float64Array.from(outliers(N / 10, full.data, 6)), shape: [N / 10, 3] },
      R,
      SHIFT,
    );
    const target = { data: Float64Array.from([...clean.data, ...planted.data]), shape: [N + N / 10, 3] };
    // A partial source needs a finer matching than the defaults (blur 2%, reach 5% of the size):
    // measured 2.8° with them, 1.0° with these.
    const r = register(cut, target, { blur: 0.01, reach: 0.02 });
    expect(rotationError(r.transform!.rotation.data, R)).toBeLessThan(1.5);
    expect(distance(r.transform!.translation.data, SHIFT)).toBeLessThan(0.01);
  });

  it('10% outliers in source and target: < 1.5°, outliers get a low confidence, inliers a high one', () => {
    const full = bunnySamples(N, 3);
    const cut = keepWhere(full, () => true);
    const src = outliers(Math.round(cut.shape[0]! / 10), full.data, 5);
    const source = {
      data: Float64Array.from([...cut.data, ...src]),
      shape: [cut.shape[0]! + src.length / 3, 3],
    };
    const { R, target: clean } = rotated(120, 4);
    const inTarget = transformRows(
      { data: Float64Array.from(outliers(N / 10, full.data, 6)), shape: [N / 10, 3] },
      R,
      SHIFT,
    );
    const target = { data: Float64Array.from([...clean.data, ...inTarget.data]), shape: [N + N / 10, 3] };
    const r = register(source, target);
    expect(rotationError(r.transform!.rotation.data, R)).toBeLessThan(1.5);
    expect(distance(r.transform!.translation.data, SHIFT)).toBeLessThan(0.01);
    const conf = r.confidence.data;
    const nIn = cut.shape[0]!;
    const median = (v: number[]) => v.sort((a, b) => a - b)[v.length >> 1]!;
    const inliers = median(Array.from(conf.subarray(0, nIn)));
    const planted = median(Array.from(conf.subarray(nIn)));
    // Measured 0.44 and 0.04 (reach 5% of the outlier-robust size; 0.28 for the planted ones
    // when the size was the full bounding box, which the outliers doubled).
    expect(inliers).toBeGreaterThan(0.35);
    expect(planted).toBeLessThan(0.1);
    expect(planted).toBeLessThan(0.2 * inliers);
  });

  it('2-D, float32: a 150° rotation of a noisy ellipse-and-blob shape', () => {
    const g = gaussian(mulberry32(7));
    const shape = (n: number, seed: number) => {
      const r = mulberry32(seed);
      const out = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const t = 2 * Math.PI * r();
        const blob = r() < 0.3;
        out[2 * i] = blob ? 0.5 + 0.1 * Math.cos(t) : 0.4 * Math.cos(t);
        out[2 * i + 1] = blob ? 0.1 * Math.sin(t) : 0.2 * Math.sin(t);
        out[2 * i] += 0.003 * g();
        out[2 * i + 1] += 0.003 * g();
      }
      return { data: out, shape: [n, 2] };
    };
    const a = (150 * Math.PI) / 180;
    const R = [Math.cos(a), -Math.sin(a), Math.sin(a), Math.cos(a)];
    const y = transformRows(shape(800, 2), R, [0.1, -0.3]);
    const target = { data: Float32Array.from(y.data), shape: y.shape };
    const r = register(shape(800, 1), target);
    expect(r.aligned.data).toBeInstanceOf(Float32Array);
    const Re = r.transform!.rotation.data;
    const err = (Math.abs(Math.atan2(Re[2]!, Re[0]!) - a) * 180) / Math.PI;
    expect(err).toBeLessThan(1);
    expect(distance(r.transform!.translation.data, [0.1, -0.3])).toBeLessThan(0.003);
  });
});

describe('register: similarity, affine, non-rigid', () => {
  it('similarity recovers the scale within 2% and the rotation within 1°', () => {
    const { R, target } = rotated(45, 8, 1.3);
    const r = register(bunnySamples(N, 9), target, { model: 'similarity' });
    expect(Math.abs(r.transform!.scale / 1.3 - 1)).toBeLessThan(0.02);
    expect(rotationError(r.transform!.rotation.data, R)).toBeLessThan(1);
  });

  it('affine recovers the matrix within 3%', () => {
    const L = [1.1, 0.15, 0, -0.1, 0.9, 0.1, 0.05, 0, 1.2];
    const t = [0.05, -0.05, 0.1];
    const target = transformRows(bunnySamples(N, 10), L, t);
    const r = register(bunnySamples(N, 11), target, { model: 'affine' });
    const M = r.transform!.matrix.data; // [x, 1] · M: M[c][r] = L[r][c]
    const est: number[] = [];
    for (let row = 0; row < 3; row++) for (let c = 0; c < 3; c++) est.push(M[c * 3 + row]!);
    expect(distance(est, L) / Math.hypot(...L)).toBeLessThan(0.03);
    expect(distance(M.subarray(9, 12), t)).toBeLessThan(0.01);
  });

  it('non-rigid: cuts the mean error to the true positions of a smooth deformation by ≥ 75%', () => {
    const warp = (p: ArrayLike<number>) => [
      p[0]! + 0.06 * Math.sin(3 * p[1]!),
      p[1]! + 0.05 * Math.cos(3 * p[2]!),
      p[2]! + 0.06 * Math.sin(3 * p[0]!),
    ];
    const warpAll = (x: Float64Array) => {
      const out = new Float64Array(x.length);
      for (let i = 0; i < x.length; i += 3) out.set(warp(x.subarray(i, i + 3)), i);
      return out;
    };
    const source = bunnySamples(N, 12);
    const target = { data: warpAll(bunnySamples(N, 13).data), shape: [N, 3] };
    const truth = warpAll(source.data);
    const r = register(source, target, { model: 'nonrigid' });
    const meanErr = (p: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < N; i++)
        s += distance([p[3 * i]!, p[3 * i + 1]!, p[3 * i + 2]!], truth.subarray(3 * i, 3 * i + 3));
      return s / N;
    };
    expect(r.transform).toBeUndefined();
    expect(meanErr(r.aligned.data)).toBeLessThan(0.25 * meanErr(source.data));
    for (let k = 0; k < 30; k++)
      expect(r.aligned.data[k]).toBeCloseTo(source.data[k]! + r.displacement!.data[k]!, 12);
    // apply() extends the displacement smoothly: close to aligned on the source points.
    expect(meanErr(r.apply(source).data)).toBeLessThan(0.5 * meanErr(source.data));
  });
});

describe('register: bad input', () => {
  const x = [
    [0, 0, 0],
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  it.each([
    ['a dimension mismatch', x, x.map((p) => p.slice(0, 2)), {}, /same dimension D, got 3 and 2/],
    ['an empty source', [], x, {}, /non-empty/],
    ['an empty target', x, { data: new Float64Array(0), shape: [0, 3] }, {}, /non-empty/],
    ['a NaN', [[0, 0, Number.NaN], ...x], x, {}, /not finite/],
    ['mixed dtypes', { data: new Float32Array(12), shape: [4, 3] }, x, {}, /same dtype/],
    ['an unknown model', x, x, { model: 'elastic' }, /model must be one of/],
    ['an unknown option', x, x, { blurr: 0.1 }, /unknown option 'blurr'/],
    ['a negative blur', x, x, { blur: -1 }, /blur must be a finite number > 0/],
    ['a NaN reach', x, x, { reach: Number.NaN }, /reach must be a finite number > 0/],
    ['too few points for affine', x.slice(0, 2), x, { model: 'affine' }, /needs at least 4 source points/],
    // Was a NaN inside (the smoothing of all-zero confidences) reported as a non-finite coordinate of warmSinkhorn.
    [
      'non-rigid clouds further apart than the reach',
      x,
      x.map((p) => p.map((v) => v + 10)),
      { model: 'nonrigid' },
      /no source point is matched to the target .* pre-align them/,
    ],
  ])('%s is a LazyTensorError', (_, s, t, o, msg) => {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong inputs
    const call = () => register(s as any, t as any, o as any);
    expect(call).toThrow(LazyTensorError);
    expect(call).toThrow(msg);
  });
});
