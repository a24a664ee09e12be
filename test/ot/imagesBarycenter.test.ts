import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { imagesBarycenter, runImagesBarycenter } from '../../src/ot/imagesBarycenter.js';

/** A normalised isotropic Gaussian blob on an n × n grid (pixel coordinates k/n). */
function blob(n: number, cy: number, cx: number, s: number): Float64Array {
  const v = new Float64Array(n * n);
  let tot = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const e = Math.exp(-((i / n - cy) ** 2 + (j / n - cx) ** 2) / (2 * s * s));
      v[i * n + j] = e;
      tot += e;
    }
  return v.map((x) => x / tot);
}

function moments(q: Float64Array, n: number) {
  let my = 0;
  let mx = 0;
  for (let k = 0; k < q.length; k++) {
    my += (q[k]! * Math.floor(k / n)) / n;
    mx += (q[k]! * (k % n)) / n;
  }
  let v = 0;
  for (let k = 0; k < q.length; k++)
    v += q[k]! * ((Math.floor(k / n) / n - my) ** 2 + ((k % n) / n - mx) ** 2);
  return { my, mx, std: Math.sqrt(v / 2) };
}

describe('imagesBarycenter', () => {
  it('of two Gaussian blobs is the blob with averaged centre and width; of an image with itself, itself', () => {
    const n = 32;
    const A = { data: blob(n, 0.3, 0.35, 0.06), shape: [n, n] };
    const B = { data: blob(n, 0.6, 0.65, 0.1), shape: [n, n] };
    const q = imagesBarycenter([A, B], { blur: 1 / n, iterations: 100 });
    expect(q.shape).toEqual([n, n]);
    const m = moments(q.data, n);
    expect(Math.abs(m.my - 0.45)).toBeLessThan(2e-3);
    expect(Math.abs(m.mx - 0.5)).toBeLessThan(2e-3);
    expect(Math.abs(m.std - 0.08)).toBeLessThan(4e-3);
    const self = imagesBarycenter([A, A], { blur: 1 / n, iterations: 100 });
    let err = 0;
    for (let k = 0; k < n * n; k++) err += Math.abs(self.data[k]! - A.data[k]!);
    expect(err).toBeLessThan(0.02);
  });

  it('with ε-scaling (on the image pyramid) converges to the fixed-ε barycenter', () => {
    const n = 16;
    const A = { data: blob(n, 0.2, 0.25, 0.06), shape: [n, n] };
    const B = { data: blob(n, 0.7, 0.65, 0.1), shape: [n, n] };
    const blur = 1 / n;
    const fixed = runImagesBarycenter([A, B], { blur, iterations: 2000, tol: 1e-6 }, false);
    const scaled = imagesBarycenter([A, B], { blur, scaling: 0.5, iterations: 2000, tol: 1e-6 });
    expect(fixed.converged).toBe(true);
    expect(scaled.converged).toBe(true);
    // The schedule from ε = 1 down to blur² = 1/256 has 6 steps, run before the final ones.
    expect(scaled.iterations).toBeGreaterThan(6);
    let err = 0;
    for (let k = 0; k < n * n; k++) err += Math.abs(fixed.data[k]! - scaled.data[k]!);
    expect(err).toBeLessThan(1e-3);
    const m = moments(scaled.data, n);
    expect(Math.abs(m.my - 0.45)).toBeLessThan(5e-3);
    expect(Math.abs(m.mx - 0.45)).toBeLessThan(5e-3);
  });

  it('of two Gaussian blobs with ε-scaling is still the blob with averaged centre and width', () => {
    const n = 32;
    const A = { data: blob(n, 0.3, 0.35, 0.06), shape: [n, n] };
    const B = { data: blob(n, 0.6, 0.65, 0.1), shape: [n, n] };
    const q = imagesBarycenter([A, B], { blur: 1 / n, scaling: 0.5, iterations: 60 });
    // GeomLoss' schedule 1, 1/2, …, 1/2⁵ and blur² = 1/1024 (7 values of ε), then 60 at blur².
    expect(q.iterations).toBe(7 + 60);
    const m = moments(q.data, n);
    expect(Math.abs(m.my - 0.45)).toBeLessThan(2e-3);
    expect(Math.abs(m.mx - 0.5)).toBeLessThan(2e-3);
    expect(Math.abs(m.std - 0.08)).toBeLessThan(4e-3);
  });

  it('rejects bad input with LazyTensorError', () => {
    const A = { data: blob(8, 0.5, 0.5, 0.1), shape: [8, 8] };
    expect(() => imagesBarycenter([])).toThrow(LazyTensorError);
    expect(() => imagesBarycenter([A, { data: blob(8, 0.5, 0.5, 0.1), shape: [4, 16] }])).toThrow(/shape/);
    expect(() => imagesBarycenter([A, { data: A.data.map((v) => -v), shape: [8, 8] }])).toThrow(
      LazyTensorError,
    );
    expect(() => imagesBarycenter([A, A], { weights: [1] })).toThrow(/expected 2 weights/);
    expect(() => imagesBarycenter([A, A], { scaling: 1 })).toThrow(/scaling must be a number in \(0, 1\)/);
    expect(() => imagesBarycenter([A, A], { scaling: 0 })).toThrow(LazyTensorError);
    expect(() => imagesBarycenter([A, A], { tol: -1 })).toThrow(/tol must be/);
    // ε = blur² underflows: was "Pm(): entry 0 must be a finite number, got Infinity".
    expect(() => imagesBarycenter([A, A], { blur: 1e-300 })).toThrow(/blur = 1e-300 is too small/);
  });

  it('handles images of more pixels than a call can take as arguments (400 × 400)', () => {
    const n = 400;
    const A = { data: blob(n, 0.3, 0.35, 0.06), shape: [n, n] };
    const q = imagesBarycenter([A, A], { blur: 4 / n, iterations: 1 }).data;
    let total = 0;
    for (const v of q) total += v;
    expect(total).toBeCloseTo(1, 10);
    expect(q.every(Number.isFinite)).toBe(true);
  });
});
