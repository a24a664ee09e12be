/**
 * Small dense linear algebra for the learning tools: rank×rank and k×k matrices only (Cholesky,
 * triangular solves, Jacobi eigen-solve) plus the column operations of N×r factors. Row-major
 * Float64Arrays throughout.
 */

/**
 * Cholesky factor L (lower, row-major n×n) of a symmetric matrix A, or undefined when A is not
 * numerically positive definite.
 */
export function cholesky(A: Float64Array, n: number): Float64Array | undefined {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j]!;
    for (let k = 0; k < j; k++) d -= L[j * n + k]! ** 2;
    if (!(d > 0)) return undefined;
    const ljj = Math.sqrt(d);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = s / ljj;
    }
  }
  return L;
}

/** Solves L y = b in place for each of the E columns of the row-major [n, E] b. */
export function forwardSolve(L: Float64Array, n: number, b: Float64Array, E: number): void {
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < E; c++) {
      let s = b[i * E + c]!;
      for (let k = 0; k < i; k++) s -= L[i * n + k]! * b[k * E + c]!;
      b[i * E + c] = s / L[i * n + i]!;
    }
  }
}

/** Solves Lᵀ y = b in place for each of the E columns of the row-major [n, E] b. */
export function backSolve(L: Float64Array, n: number, b: Float64Array, E: number): void {
  for (let i = n - 1; i >= 0; i--) {
    for (let c = 0; c < E; c++) {
      let s = b[i * E + c]!;
      for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * b[k * E + c]!;
      b[i * E + c] = s / L[i * n + i]!;
    }
  }
}

/**
 * Eigen-decomposition of a symmetric n×n matrix by cyclic Jacobi rotations: values in decreasing
 * order, vectors as the columns of a row-major n×n matrix.
 */
export function symmetricEigen(A: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(A);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let t = 0; t < n * n; t++) scale += a[t]! ** 2;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j]! - a[i * n + i]!);
  const values = Float64Array.from(order, (i) => a[i * n + i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src]!;
  });
  return { values, vectors };
}

/** Gᵀ H for row-major G [N, a] and H [N, b]: an a×b matrix. */
export function crossProduct(
  G: Float64Array,
  a: number,
  H: Float64Array,
  b: number,
  N: number,
): Float64Array {
  const out = new Float64Array(a * b);
  for (let i = 0; i < N; i++) {
    for (let p = 0; p < a; p++) {
      const g = G[i * a + p]!;
      if (g === 0) continue;
      const row = p * b;
      for (let q = 0; q < b; q++) out[row + q]! += g * H[i * b + q]!;
    }
  }
  return out;
}

/** G C for row-major G [N, a] and C [a, b]: an N×b matrix. */
export function multiply(G: Float64Array, a: number, C: Float64Array, b: number, N: number): Float64Array {
  const out = new Float64Array(N * b);
  for (let i = 0; i < N; i++) {
    for (let p = 0; p < a; p++) {
      const g = G[i * a + p]!;
      if (g === 0) continue;
      for (let q = 0; q < b; q++) out[i * b + q]! += g * C[p * b + q]!;
    }
  }
  return out;
}

/**
 * Eigen-decomposition of a symmetric n×n matrix by Householder reduction to tridiagonal form and
 * implicit symmetric QR steps with Wilkinson shifts: ~10 n³ flops against the 50–100 n³ of the
 * Jacobi sweeps of `symmetricEigen` (same output: values in decreasing order, vectors as the
 * columns of a row-major n×n matrix). Absolute accuracy ~1e-15·‖A‖ (Jacobi resolves tiny
 * eigenvalues to higher relative accuracy); falls back to Jacobi if QR ever fails to converge.
 */
export function symmetricEigenQR(
  A: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(A);
  // Z = Qᵀ (row k of Z is column k of Q), so that both phases update contiguous rows.
  const Z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Z[i * n + i] = 1;
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  const t = new Float64Array(n);
  for (let k = 0; k + 2 < n; k++) {
    const m = n - k - 1;
    // Norms on the column scaled by its largest entry: roundoff-level columns would otherwise
    // underflow their squares and leave v off unit length (H no longer orthogonal).
    let big = 0;
    for (let j = 0; j < m; j++) big = Math.max(big, Math.abs(a[(k + 1 + j) * n + k]!));
    if (big === 0) continue;
    let sigma = 0;
    for (let j = 0; j < m; j++) sigma += (a[(k + 1 + j) * n + k]! / big) ** 2;
    sigma = big * Math.sqrt(sigma);
    const x0 = a[(k + 1) * n + k]!;
    const alpha = x0 >= 0 ? -sigma : sigma;
    let vn = 0;
    for (let j = 0; j < m; j++) {
      v[j] = (a[(k + 1 + j) * n + k]! - (j === 0 ? alpha : 0)) / big;
      vn += v[j]! ** 2;
    }
    vn = Math.sqrt(vn);
    for (let j = 0; j < m; j++) v[j]! /= vn;
    // A22 ← H A22 H = A22 − 2 (v qᵀ + q vᵀ), q = p − (vᵀp) v, p = A22 v.
    let K = 0;
    for (let i = 0; i < m; i++) {
      let s = 0;
      const row = (k + 1 + i) * n + k + 1;
      for (let j = 0; j < m; j++) s += a[row + j]! * v[j]!;
      p[i] = s;
      K += v[i]! * s;
    }
    for (let i = 0; i < m; i++) p[i]! -= K * v[i]!;
    for (let i = 0; i < m; i++) {
      const row = (k + 1 + i) * n + k + 1;
      for (let j = 0; j < m; j++) a[row + j]! -= 2 * (v[i]! * p[j]! + p[i]! * v[j]!);
    }
    a[(k + 1) * n + k] = alpha;
    a[k * n + k + 1] = alpha;
    for (let j = 1; j < m; j++) {
      a[(k + 1 + j) * n + k] = 0;
      a[k * n + k + 1 + j] = 0;
    }
    // Q ← Q H: rows k+1.. of Z lose 2 v_j (Σ_l v_l Z_{k+1+l}).
    t.fill(0);
    for (let j = 0; j < m; j++) {
      const vj = v[j]!;
      const row = (k + 1 + j) * n;
      for (let i = 0; i < n; i++) t[i]! += vj * Z[row + i]!;
    }
    for (let j = 0; j < m; j++) {
      const vj2 = 2 * v[j]!;
      const row = (k + 1 + j) * n;
      for (let i = 0; i < n; i++) Z[row + i]! -= vj2 * t[i]!;
    }
  }
  const d = Float64Array.from({ length: n }, (_, i) => a[i * n + i]!);
  const e = Float64Array.from({ length: Math.max(n - 1, 0) }, (_, i) => a[(i + 1) * n + i]!);
  const small = (i: number) => Math.abs(e[i]!) <= 1e-15 * (Math.abs(d[i]!) + Math.abs(d[i + 1]!));
  let hi = n - 1;
  for (let steps = 0; hi > 0; steps++) {
    if (steps > 30 * n) return symmetricEigen(A, n);
    if (small(hi - 1)) {
      e[hi - 1] = 0;
      hi--;
      continue;
    }
    let lo = hi - 1;
    while (lo > 0 && !small(lo - 1)) lo--;
    // Wilkinson shift from the trailing 2×2 block, then one bulge chase over [lo, hi].
    const delta = (d[hi - 1]! - d[hi]!) / 2;
    const b2 = e[hi - 1]! ** 2;
    const mu = d[hi]! - b2 / (delta + (delta >= 0 ? 1 : -1) * Math.sqrt(delta * delta + b2));
    let x = d[lo]! - mu;
    let z = e[lo]!;
    for (let k = lo; k < hi; k++) {
      const r = Math.hypot(x, z);
      const c = r === 0 ? 1 : x / r;
      const s = r === 0 ? 0 : -z / r;
      if (k > lo) e[k - 1] = r;
      const a1 = d[k]!;
      const a2 = d[k + 1]!;
      const b = e[k]!;
      d[k] = c * c * a1 - 2 * c * s * b + s * s * a2;
      d[k + 1] = s * s * a1 + 2 * c * s * b + c * c * a2;
      e[k] = c * s * (a1 - a2) + (c * c - s * s) * b;
      if (k + 1 < hi) {
        x = e[k]!;
        z = -s * e[k + 1]!;
        e[k + 1] = c * e[k + 1]!;
      }
      // Q ← Q G on columns k, k+1: rows k, k+1 of Z.
      const rk = k * n;
      const rk1 = rk + n;
      for (let i = 0; i < n; i++) {
        const qk = Z[rk + i]!;
        const qk1 = Z[rk1 + i]!;
        Z[rk + i] = c * qk - s * qk1;
        Z[rk1 + i] = s * qk + c * qk1;
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j]! - d[i]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = Z[src * n + k]!;
  });
  return { values, vectors };
}
