import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/random.js';
import { affineFit, applyTransform, procrustes } from '../../src/register/fit.js';
import { det, matmul, rotationGrid, svd, transpose } from '../../src/register/linalg.js';
import { axisAngle } from './helpers.js';

function randomPoints(n: number, d: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n * d }, () => r() - 0.5);
}

describe('register: closed-form fits', () => {
  it('svd reconstructs a matrix with orthogonal factors', () => {
    const A = Float64Array.of(2, -1, 0.5, 0.3, 1, -2, 1, 1, 1);
    const { U, s, V } = svd(A, 3);
    const S = Float64Array.of(s[0]!, 0, 0, 0, s[1]!, 0, 0, 0, s[2]!);
    const back = matmul(matmul(U, S, 3), transpose(V, 3), 3);
    for (let k = 0; k < 9; k++) expect(back[k]).toBeCloseTo(A[k]!, 12);
    const UtU = matmul(transpose(U, 3), U, 3);
    for (let k = 0; k < 9; k++) expect(UtU[k]).toBeCloseTo(k % 4 === 0 ? 1 : 0, 12);
  });

  it('weighted Procrustes recovers a rotation, scale and translation exactly, ignoring zero-weight pairs', () => {
    const n = 50;
    const x = randomPoints(n, 3, 1);
    const R = axisAngle([0.3, -1, 2], 2.5);
    const t = Float64Array.of(0.4, -0.2, 1);
    const y = applyTransform(
      { rotation: R, scale: 1.7, translation: t, linear: R.map((v) => 1.7 * v) },
      x,
      n,
      3,
    );
    const w = new Float64Array(n).fill(1);
    for (let i = 0; i < 10; i++) {
      w[i] = 0;
      y[3 * i] = 99; // corrupted pairs with zero weight
    }
    const T = procrustes(x, y, w, n, 3, true);
    for (let k = 0; k < 9; k++) expect(T.rotation[k]).toBeCloseTo(R[k]!, 10);
    expect(T.scale).toBeCloseTo(1.7, 10);
    for (let k = 0; k < 3; k++) expect(T.translation[k]).toBeCloseTo(t[k]!, 10);
    const rigid = procrustes(x, applyTransform({ ...T, linear: R, scale: 1 }, x, n, 3), w, n, 3, false);
    expect(rigid.scale).toBe(1);
  });

  it('Procrustes returns a proper rotation for mirrored data (the reflection fix)', () => {
    const n = 40;
    const x = randomPoints(n, 3, 2);
    const y = Float64Array.from(x, (v, k) => (k % 3 === 0 ? -v : v)); // a mirror image
    const T = procrustes(x, y, new Float64Array(n).fill(1), n, 3, false);
    expect(det(T.rotation, 3)).toBeCloseTo(1, 10);
  });

  it('affine least squares recovers a general linear map', () => {
    const n = 30;
    const x = randomPoints(n, 4, 3);
    const L = Float64Array.from(randomPoints(4, 4, 4), (v, k) => v + (k % 5 === 0 ? 1 : 0));
    const t = Float64Array.of(1, 2, 3, 4);
    const y = applyTransform({ rotation: L, scale: 1, translation: t, linear: L }, x, n, 4);
    const T = affineFit(x, y, new Float64Array(n).fill(1), n, 4);
    for (let k = 0; k < 16; k++) expect(T.linear[k]).toBeCloseTo(L[k]!, 10);
    for (let k = 0; k < 4; k++) expect(T.translation[k]).toBeCloseTo(t[k]!, 10);
  });

  it('the 3-D rotation grid holds the 24 distinct proper rotations, identity first; 2-D: 12 angles', () => {
    const g = rotationGrid(3);
    expect(g).toHaveLength(24);
    expect(Array.from(g[0]!)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(new Set(g.map((R) => R.join(','))).size).toBe(24);
    for (const R of g) expect(det(R, 3)).toBeCloseTo(1, 12);
    expect(rotationGrid(2)).toHaveLength(12);
    expect(rotationGrid(5)).toHaveLength(1);
  });
});
