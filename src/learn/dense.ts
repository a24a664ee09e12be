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
