/**
 * Small dense linear algebra for D×D and (D+1)×(D+1) matrices (row-major Float64Array): the
 * closed-form fits of registration never touch N×M data.
 */
import { LazyTensorError } from '../errors.js';

/** Identity matrix of size d. */
export function identity(d: number): Float64Array {
  const I = new Float64Array(d * d);
  for (let k = 0; k < d; k++) I[k * d + k] = 1;
  return I;
}

/** C = A B for square d×d matrices. */
export function matmul(A: Float64Array, B: Float64Array, d: number): Float64Array {
  const C = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const a = A[i * d + k]!;
      if (a === 0) continue;
      for (let j = 0; j < d; j++) C[i * d + j] = C[i * d + j]! + a * B[k * d + j]!;
    }
  }
  return C;
}

/** Aᵀ. */
export function transpose(A: Float64Array, d: number): Float64Array {
  const T = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) T[j * d + i] = A[i * d + j]!;
  return T;
}

/** Determinant by Gaussian elimination with partial pivoting. */
export function det(A: Float64Array, d: number): number {
  const M = Float64Array.from(A);
  let s = 1;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(M[r * d + c]!) > Math.abs(M[p * d + c]!)) p = r;
    if (M[p * d + c] === 0) return 0;
    if (p !== c) {
      for (let k = 0; k < d; k++) [M[c * d + k], M[p * d + k]] = [M[p * d + k]!, M[c * d + k]!];
      s = -s;
    }
    const piv = M[c * d + c]!;
    s *= piv;
    for (let r = c + 1; r < d; r++) {
      const f = M[r * d + c]! / piv;
      for (let k = c; k < d; k++) M[r * d + k] = M[r * d + k]! - f * M[c * d + k]!;
    }
  }
  return s;
}

/**
 * Singular value decomposition A = U diag(s) Vᵀ of a square d×d matrix by one-sided Jacobi
 * (Hestenes) rotations; U and V are orthogonal (null directions completed by Gram–Schmidt).
 */
export function svd(A: Float64Array, d: number): { U: Float64Array; s: Float64Array; V: Float64Array } {
  const W = Float64Array.from(A); // columns get orthogonalised: W = A V
  const V = identity(d);
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < d; i++) {
          const wp = W[i * d + p]!;
          const wq = W[i * d + q]!;
          alpha += wp * wp;
          beta += wq * wq;
          gamma += wp * wq;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const sn = c * t;
        for (const M of [W, V]) {
          for (let i = 0; i < d; i++) {
            const mp = M[i * d + p]!;
            const mq = M[i * d + q]!;
            M[i * d + p] = c * mp - sn * mq;
            M[i * d + q] = sn * mp + c * mq;
          }
        }
      }
    }
    if (off <= 1e-15) break;
  }
  const s = new Float64Array(d);
  const U = new Float64Array(d * d);
  const scale = Math.max(1e-300, ...Array.from({ length: d }, (_, j) => colNorm(W, d, j)));
  const done: number[] = [];
  for (let j = 0; j < d; j++) {
    s[j] = colNorm(W, d, j);
    if (s[j]! > 1e-13 * scale) {
      for (let i = 0; i < d; i++) U[i * d + j] = W[i * d + j]! / s[j]!;
      done.push(j);
    }
  }
  // Complete U with unit vectors orthogonal to the columns found so far.
  for (let j = 0; j < d; j++) {
    if (done.includes(j)) continue;
    for (let e = 0; e < d; e++) {
      const v = new Float64Array(d);
      v[e] = 1;
      for (const k of done) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += v[i]! * U[i * d + k]!;
        for (let i = 0; i < d; i++) v[i] = v[i]! - dot * U[i * d + k]!;
      }
      const n = Math.hypot(...v);
      if (n > 1e-6) {
        for (let i = 0; i < d; i++) U[i * d + j] = v[i]! / n;
        done.push(j);
        break;
      }
    }
  }
  return { U, s, V };
}

function colNorm(W: Float64Array, d: number, j: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += W[i * d + j]! ** 2;
  return Math.sqrt(s);
}

/** Solves the symmetric positive (semi-)definite system A X = B (A n×n, B n×e) by pivoted elimination. */
export function solveSmall(A: Float64Array, B: Float64Array, n: number, e: number): Float64Array {
  const M = Float64Array.from(A);
  const X = Float64Array.from(B);
  let scale = 0;
  for (let k = 0; k < n; k++) scale = Math.max(scale, Math.abs(M[k * n + k]!));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]!) > Math.abs(M[p * n + c]!)) p = r;
    if (!(Math.abs(M[p * n + c]!) > 1e-12 * scale)) {
      throw new LazyTensorError(
        'register: the weighted points are degenerate (they span less than the full dimension): no unique affine fit',
      );
    }
    if (p !== c) {
      for (let k = 0; k < n; k++) [M[c * n + k], M[p * n + k]] = [M[p * n + k]!, M[c * n + k]!];
      for (let k = 0; k < e; k++) [X[c * e + k], X[p * e + k]] = [X[p * e + k]!, X[c * e + k]!];
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r * n + c]! / M[c * n + c]!;
      if (f === 0) continue;
      for (let k = c; k < n; k++) M[r * n + k] = M[r * n + k]! - f * M[c * n + k]!;
      for (let k = 0; k < e; k++) X[r * e + k] = X[r * e + k]! - f * X[c * e + k]!;
    }
  }
  for (let c = 0; c < n; c++) for (let k = 0; k < e; k++) X[c * e + k] = X[c * e + k]! / M[c * n + c]!;
  return X;
}

/**
 * Initial rotations of the global search: in 2-D every 30°; in 3-D the 24 proper rotations of
 * the 90° Euler grid (signed permutation matrices of determinant +1); otherwise the identity.
 */
export function rotationGrid(d: number): Float64Array[] {
  if (d === 2) {
    return Array.from({ length: 12 }, (_, k) => {
      const t = (k * Math.PI) / 6;
      return Float64Array.of(Math.cos(t), -Math.sin(t), Math.sin(t), Math.cos(t));
    });
  }
  if (d !== 3) return [identity(d)];
  const perms = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  const out: Float64Array[] = [];
  for (const p of perms) {
    for (let signs = 0; signs < 8; signs++) {
      const R = new Float64Array(9);
      for (let i = 0; i < 3; i++) R[i * 3 + p[i]!] = signs & (1 << i) ? -1 : 1;
      if (det(R, 3) > 0) out.push(R);
    }
  }
  // Identity first: ties go to the unrotated start.
  out.sort((A, B) => trace(B) - trace(A));
  return out;
}

function trace(A: Float64Array): number {
  return A[0]! + A[4]! + A[8]!;
}
