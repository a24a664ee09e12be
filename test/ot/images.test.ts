import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { imagesLoss } from '../../src/ot/images.js';
import { samplesLoss } from '../../src/ot/samplesLoss.js';

/** A normalised Gaussian blob on an H × W grid (pixel coordinates k/n). */
function blob(H: number, W: number, cy: number, cx: number, s: number): Float64Array {
  const v = new Float64Array(H * W);
  let tot = 0;
  for (let i = 0; i < H; i++)
    for (let j = 0; j < W; j++) {
      const e = Math.exp(-((i / H - cy) ** 2 + (j / W - cx) ** 2) / (2 * s * s));
      v[i * W + j] = e;
      tot += e;
    }
  for (let k = 0; k < v.length; k++) v[k] = v[k]! / tot;
  return v;
}

/** The pixel cloud of a grid (rows: [i/H, j/W]) and its masses, for samplesLoss. */
function cloud(dims: number[]): Float64Array {
  const N = dims.reduce((s, n) => s * n, 1);
  const out = new Float64Array(N * dims.length);
  for (let k = 0; k < N; k++) {
    let rest = k;
    for (let a = dims.length - 1; a >= 0; a--) {
      const i = rest % dims[a]!;
      rest = (rest - i) / dims[a]!;
      out[k * dims.length + a] = i / dims[a]!;
    }
  }
  return out;
}

function reference(
  a: Float64Array,
  b: Float64Array,
  dims: number[],
  opts: { blur: number; scaling: number; debias?: boolean; reach?: number },
) {
  const X = { data: cloud(dims), shape: [a.length, dims.length] };
  return samplesLoss(X, X, { ...opts, diameter: 1, a, b, backend: 'online' });
}

describe('imagesLoss', () => {
  it('equals samplesLoss on the pixel clouds (full resolution, same ε-schedule), non-square grid', () => {
    const H = 12;
    const W = 20;
    const a = blob(H, W, 0.3, 0.3, 0.1);
    const b = blob(H, W, 0.6, 0.7, 0.15);
    for (const debias of [true, false]) {
      const r = imagesLoss(
        { data: a, shape: [H, W] },
        { data: b, shape: [H, W] },
        { blur: 0.05, multiscale: false, debias },
      );
      const ref = reference(a, b, [H, W], { blur: 0.05, scaling: 0.5, debias });
      expect(r.value as number).toBeCloseTo(ref.value as number, 10);
      for (let k = 0; k < a.length; k++) {
        expect(r.gradA.data[k]!).toBeCloseTo(ref.gradA.data[k]!, 8);
        expect(r.gradB.data[k]!).toBeCloseTo(ref.gradB.data[k]!, 8);
      }
      expect(r.gradA.shape).toEqual([H, W]);
    }
  });

  it('unbalanced (reach) on a batch equals samplesLoss per image', () => {
    const H = 8;
    const W = 8;
    const a1 = blob(H, W, 0.3, 0.3, 0.1);
    const b1 = blob(H, W, 0.6, 0.5, 0.1).map((v) => 1.5 * v);
    const a2 = blob(H, W, 0.5, 0.5, 0.2);
    const b2 = blob(H, W, 0.2, 0.7, 0.1);
    const A = new Float64Array([...a1, ...a2]);
    const B = new Float64Array([...b1, ...b2]);
    const r = imagesLoss(
      { data: A, shape: [2, H, W] },
      { data: B, shape: [2, H, W] },
      { blur: 0.1, reach: 0.5, multiscale: false },
    );
    const v = r.value as Float64Array;
    const r1 = reference(a1, b1, [H, W], { blur: 0.1, scaling: 0.5, reach: 0.5 });
    const r2 = reference(a2, b2, [H, W], { blur: 0.1, scaling: 0.5, reach: 0.5 });
    expect(v[0]!).toBeCloseTo(r1.value as number, 10);
    expect(v[1]!).toBeCloseTo(r2.value as number, 10);
    expect(r.gradB.data[70]!).toBeCloseTo(r2.gradB.data[70 - 64]!, 8);
  });

  it('3-D grids equal samplesLoss on the voxel clouds', () => {
    const dims = [4, 6, 8];
    const N = 4 * 6 * 8;
    const a = new Float64Array(N).map((_, k) => 1 + Math.sin(k));
    const b = new Float64Array(N).map((_, k) => 1 + Math.cos(3 * k));
    const sa = a.reduce((s, v) => s + v, 0);
    const sb = b.reduce((s, v) => s + v, 0);
    for (let k = 0; k < N; k++) {
      a[k] = a[k]! / sa;
      b[k] = b[k]! / sb;
    }
    const r = imagesLoss(
      { data: a, shape: dims },
      { data: b, shape: dims },
      { blur: 0.1, dims: 3, multiscale: false },
    );
    const ref = reference(a, b, dims, { blur: 0.1, scaling: 0.5 });
    expect(r.value as number).toBeCloseTo(ref.value as number, 10);
  });

  it('the pyramid converges to samplesLoss at a converged setting (32 × 32, scaling 0.9)', () => {
    const n = 32;
    const a = blob(n, n, 0.3, 0.4, 0.08);
    const b = blob(n, n, 0.65, 0.6, 0.1);
    const r = imagesLoss(
      { data: a, shape: [n, n] },
      { data: b, shape: [n, n] },
      { blur: 0.05, scaling: 0.9 },
    );
    const ref = reference(a, b, [n, n], { blur: 0.05, scaling: 0.9 });
    const rv = ref.value as number;
    expect(Math.abs((r.value as number) - rv)).toBeLessThan(1e-3 * Math.abs(rv));
  });

  it('rejects bad input with LazyTensorError', () => {
    const a = { data: blob(8, 8, 0.5, 0.5, 0.1), shape: [8, 8] };
    const neg = { data: a.data.map((v, k) => (k === 3 ? -v : v)), shape: [8, 8] };
    expect(() => imagesLoss(a, { data: blob(8, 4, 0.5, 0.5, 0.1), shape: [8, 4] })).toThrow(LazyTensorError);
    expect(() => imagesLoss(a, neg)).toThrow(LazyTensorError);
    expect(() => imagesLoss(a, a, { p: 1 })).toThrow(/p must be 2/);
    expect(() => imagesLoss(a, { data: a.data.map((v) => 2 * v), shape: [8, 8] })).toThrow(
      /equal total masses/,
    );
    expect(() => imagesLoss(a, a, { blur: -1 })).toThrow(LazyTensorError);
    expect(() => imagesLoss(a, a, { bogus: 1 } as never)).toThrow(/unknown option/);
    expect(() => imagesLoss({ data: new Float64Array(8), shape: [8] }, a)).toThrow(LazyTensorError);
  });
});
