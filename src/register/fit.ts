/**
 * Closed-form fits of a transform to weighted correspondences x_i → y_i (weights w_i ≥ 0):
 * Kabsch/Umeyama (rotation with the reflection fix, optional scale) and affine least squares.
 */
import { check } from '../errors.js';
import { det, matmul, solveSmall, svd, transpose } from './linalg.js';

/** y ≈ scale · R x + t, with the (D+1)×D matrix of `[x, 1] · matrix`. */
export interface Transform {
  rotation: Float64Array;
  scale: number;
  translation: Float64Array;
  /** Linear part L (D×D, y = L x + t): scale·R for rigid/similarity, the fitted matrix for affine. */
  linear: Float64Array;
}

/** Builds a transform from a rotation, scale and translation. */
export function similarity(R: Float64Array, s: number, t: Float64Array, d: number): Transform {
  return { rotation: R, scale: s, translation: t, linear: R.map((v) => v * s) };
}

/** Applies y = L x + t to every row of x ([n, d]), into a new Float64Array. */
export function applyTransform(T: Transform, x: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < d; r++) {
      let v = T.translation[r]!;
      for (let c = 0; c < d; c++) v += T.linear[r * d + c]! * x[i * d + c]!;
      out[i * d + r] = v;
    }
  }
  return out;
}

/** The (D+1)×D matrix M with y = [x, 1] · M. */
export function transformMatrix(T: Transform, d: number): Float64Array {
  const M = new Float64Array((d + 1) * d);
  for (let c = 0; c < d; c++) {
    for (let r = 0; r < d; r++) M[c * d + r] = T.linear[r * d + c]!;
  }
  for (let r = 0; r < d; r++) M[d * d + r] = T.translation[r]!;
  return M;
}

/** T2 ∘ T1 (T1 first). */
export function compose(T2: Transform, T1: Transform, d: number): Transform {
  const linear = matmul(T2.linear, T1.linear, d);
  const translation = applyTransform({ ...T2, translation: T2.translation }, T1.translation, 1, d);
  return {
    rotation: matmul(T2.rotation, T1.rotation, d),
    scale: T2.scale * T1.scale,
    translation,
    linear,
  };
}

function weightedMeans(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  n: number,
  d: number,
) {
  const mx = new Float64Array(d);
  const my = new Float64Array(d);
  let W = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    W += wi;
    for (let k = 0; k < d; k++) {
      mx[k] = mx[k]! + wi * x[i * d + k]!;
      my[k] = my[k]! + wi * y[i * d + k]!;
    }
  }
  check(W > 0, 'register: no point was matched (all confidences are 0): try a larger reach or blur');
  for (let k = 0; k < d; k++) {
    mx[k] = mx[k]! / W;
    my[k] = my[k]! / W;
  }
  return { mx, my, W };
}

/**
 * Weighted Procrustes (Umeyama): argmin Σ w_i |s R x_i + t − y_i|² over rotations R (det +1),
 * t, and s > 0 when `withScale` (else s = 1).
 */
export function procrustes(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  n: number,
  d: number,
  withScale: boolean,
): Transform {
  const { mx, my, W } = weightedMeans(x, y, w, n, d);
  const S = new Float64Array(d * d); // Σ_xy = Σ w (y − ȳ)(x − x̄)ᵀ / W
  let varX = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]! / W;
    if (wi === 0) continue;
    for (let r = 0; r < d; r++) {
      const yr = y[i * d + r]! - my[r]!;
      const xr = x[i * d + r]! - mx[r]!;
      varX += wi * xr * xr;
      for (let c = 0; c < d; c++) S[r * d + c] = S[r * d + c]! + wi * yr * (x[i * d + c]! - mx[c]!);
    }
  }
  const { U, s, V } = svd(S, d);
  // Reflection fix: flip the smallest singular direction when det(U Vᵀ) < 0.
  const flip = det(U, d) * det(V, d) < 0;
  let smallest = 0;
  for (let k = 1; k < d; k++) if (s[k]! < s[smallest]!) smallest = k;
  const Us = Float64Array.from(U);
  let trDS = 0;
  for (let k = 0; k < d; k++) {
    const sign = flip && k === smallest ? -1 : 1;
    trDS += sign * s[k]!;
    if (sign < 0) for (let i = 0; i < d; i++) Us[i * d + k] = -Us[i * d + k]!;
  }
  const R = matmul(Us, transpose(V, d), d);
  const scale = withScale ? (varX > 0 ? trDS / varX : 1) : 1;
  const t = new Float64Array(d);
  for (let r = 0; r < d; r++) {
    let v = my[r]!;
    for (let c = 0; c < d; c++) v -= scale * R[r * d + c]! * mx[c]!;
    t[r] = v;
  }
  return similarity(R, scale, t, d);
}

/** Weighted affine least squares: argmin Σ w_i |L x_i + t − y_i|². */
export function affineFit(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  n: number,
  d: number,
): Transform {
  const { mx, my } = weightedMeans(x, y, w, n, d);
  // Centred normal equations: (Σ w x̃ x̃ᵀ) Lᵀ = Σ w x̃ ỹᵀ.
  const A = new Float64Array(d * d);
  const B = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    if (wi === 0) continue;
    for (let r = 0; r < d; r++) {
      const xr = wi * (x[i * d + r]! - mx[r]!);
      for (let c = 0; c < d; c++) {
        A[r * d + c] = A[r * d + c]! + xr * (x[i * d + c]! - mx[c]!);
        B[r * d + c] = B[r * d + c]! + xr * (y[i * d + c]! - my[c]!);
      }
    }
  }
  const Lt = solveSmall(A, B, d, d);
  const L = transpose(Lt, d);
  const t = new Float64Array(d);
  for (let r = 0; r < d; r++) {
    let v = my[r]!;
    for (let c = 0; c < d; c++) v -= L[r * d + c]! * mx[c]!;
    t[r] = v;
  }
  // Rotation and scale of the nearest similarity (polar part), for reporting.
  const { U, s, V } = svd(L, d);
  const flip = det(U, d) * det(V, d) < 0;
  let smallest = 0;
  for (let k = 1; k < d; k++) if (s[k]! < s[smallest]!) smallest = k;
  if (flip) for (let i = 0; i < d; i++) U[i * d + smallest] = -U[i * d + smallest]!;
  const R = matmul(U, transpose(V, d), d);
  const scale = Math.abs(det(L, d)) ** (1 / d);
  return { rotation: R, scale, translation: t, linear: L };
}
