import { describe, expect, it } from 'vitest';
import { LazyTensorError } from '../../src/errors.js';
import { Vi, Vj } from '../../src/index.js';
import { eigsh, nystromEigenpairs } from '../../src/learn/index.js';
import type { NDArray } from '../../src/ndarray.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { rng, uniform } from '../helpers/rng.js';

/**
 * Reference eigenvalues of a small dense symmetric matrix by the classical Jacobi method (largest
 * off-diagonal pivot each step), written here independently of the library.
 */
function jacobiEigenvalues(A: Float64Array, n: number): number[] {
  const a = Float64Array.from(A);
  for (let step = 0; step < 100 * n * n; step++) {
    let p = 0;
    let q = 1;
    let big = 0;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++)
        if (Math.abs(a[i * n + j]!) > big) {
          big = Math.abs(a[i * n + j]!);
          p = i;
          q = j;
        }
    if (big < 1e-14) break;
    const phi = 0.5 * Math.atan2(2 * a[p * n + q]!, a[q * n + q]! - a[p * n + p]!);
    const c = Math.cos(phi);
    const s = Math.sin(phi);
    for (let k = 0; k < n; k++) {
      const kp = a[k * n + p]!;
      const kq = a[k * n + q]!;
      a[k * n + p] = c * kp - s * kq;
      a[k * n + q] = s * kp + c * kq;
    }
    for (let k = 0; k < n; k++) {
      const pk = a[p * n + k]!;
      const qk = a[q * n + k]!;
      a[p * n + k] = c * pk - s * qk;
      a[q * n + k] = s * pk + c * qk;
    }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]!).sort((u, v) => v - u);
}

const N = 80;
const X = uniform(rng(4), N * 2);
const x = { data: X, shape: [N, 2] };
const Kd = new Float64Array(N * N);
for (let i = 0; i < N; i++)
  for (let j = 0; j < N; j++) {
    const d2 = (X[i * 2]! - X[j * 2]!) ** 2 + (X[i * 2 + 1]! - X[j * 2 + 1]!) ** 2;
    Kd[i * N + j] = Math.exp(-d2 / (2 * 0.3 ** 2));
  }
const ref = jacobiEigenvalues(Kd, N);

/** Checks K v = λ v per column (dense K of the test) and Vᵀ V = I. */
function expectEigenpairs(A: Float64Array, values: Float64Array, V: NDArray, k: number, tol: number): void {
  for (let c = 0; c < k; c++) {
    for (let d = 0; d < k; d++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += V.data[i * k + c]! * V.data[i * k + d]!;
      expect(s).toBeCloseTo(c === d ? 1 : 0, 8);
    }
    let r = 0;
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += A[i * N + j]! * V.data[j * k + c]!;
      r += (s - values[c]! * V.data[i * k + c]!) ** 2;
    }
    expect(Math.sqrt(r)).toBeLessThan(tol);
  }
}

describe.each(backendsUnderTest())('eigsh on %s', (backend) => {
  it('the 6 largest eigenpairs of a Gaussian kernel match a dense Jacobi solve', () => {
    const K = Vi(x)
      .sqdist(Vj(x))
      .mul(-1 / (2 * 0.3 ** 2))
      .exp();
    const { values, vectors } = eigsh(K, 6, { backend });
    expect(vectors.shape).toEqual([N, 6]);
    for (let c = 0; c < 6; c++) expect(values[c]!).toBeCloseTo(ref[c]!, 8);
    expectEigenpairs(Kd, values, vectors, 6, 1e-6);
  });

  it('a start block of good approximations (Nyström eigenvectors) cuts the operator calls', () => {
    const K = Vi(x)
      .sqdist(Vj(x))
      .mul(-1 / (2 * 0.3 ** 2))
      .exp();
    const opts = { backend, blockSize: 6, tol: 1e-10 };
    const cold = eigsh(K, 6, opts);
    const start = nystromEigenpairs(x, 6, { scale: 0.3, rank: 40, backend }).vectors;
    const warm = eigsh(K, 6, { ...opts, start });
    expect(warm.iterations).toBeLessThan(cold.iterations);
    for (let c = 0; c < 6; c++) expect(warm.values[c]!).toBeCloseTo(ref[c]!, 8);
    expectEigenpairs(Kd, warm.values, warm.vectors, 6, 1e-7);
    // The exact eigenvectors as the start: converged after the first call.
    const exact = eigsh(K, 6, { ...opts, start: cold.vectors });
    expect(exact.iterations).toBe(1);
  });

  it("relativeTo 'value': every pair's residual is within tol·|θ| (stricter than tol·‖K‖)", () => {
    const K = Vi(x)
      .sqdist(Vj(x))
      .mul(-1 / (2 * 0.3 ** 2))
      .exp();
    const k = 8;
    const tol = 1e-5;
    const r = eigsh(K, k, { backend, tol, relativeTo: 'value', blockSize: 1 });
    for (let c = 0; c < k; c++) {
      let res = 0;
      for (let i = 0; i < N; i++) {
        let s = 0;
        for (let j = 0; j < N; j++) s += Kd[i * N + j]! * r.vectors.data[j * k + c]!;
        res += (s - r.values[c]! * r.vectors.data[i * k + c]!) ** 2;
      }
      expect(Math.sqrt(res)).toBeLessThanOrEqual(1.5 * tol * Math.abs(ref[c]!));
    }
    expect(ref[k - 1]! / ref[0]!).toBeLessThan(0.1); // so 'norm' alone would allow 10× more
  });
});

describe('eigsh on an operator { n, matvec }', () => {
  /** Dense product with the test's matrix, one column ([n]) at a time. */
  const op = (A: Float64Array) => ({
    n: N,
    matvec: (v: NDArray) => {
      expect(v.shape).toEqual([N]);
      const out = new Float64Array(N);
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) out[i]! += A[i * N + j]! * v.data[j]!;
      return { data: out, shape: [N] };
    },
  });

  it('largest and smallest eigenpairs of an indefinite matrix (plain Lanczos, block size 1)', () => {
    // A = K − 0.5·I shifted so the spectrum straddles 0; its smallest values are −0.5 + tiny.
    const A = Float64Array.from(Kd, (v, t) => (t % (N + 1) === 0 ? v - 0.5 : v));
    const refA = ref.map((v) => v - 0.5);
    const big = eigsh(op(A), 4, { tol: 1e-10 });
    for (let c = 0; c < 4; c++) expect(big.values[c]!).toBeCloseTo(refA[c]!, 9);
    expectEigenpairs(A, big.values, big.vectors, 4, 1e-7);
    // Well-separated smallest eigenvalues: a diagonal-dominant matrix with distinct diagonal.
    const B = new Float64Array(N * N);
    for (let i = 0; i < N; i++) {
      B[i * N + i] = i + 1;
      if (i + 1 < N) {
        B[i * N + i + 1] = 0.3;
        B[(i + 1) * N + i] = 0.3;
      }
    }
    const refB = jacobiEigenvalues(B, N);
    const small = eigsh(op(B), 3, { which: 'smallest', tol: 1e-10 });
    for (let c = 0; c < 3; c++) expect(small.values[c]!).toBeCloseTo(refB[N - 1 - c]!, 8);
    expectEigenpairs(B, small.values, small.vectors, 3, 1e-7);
  });

  it('block size > 1 passes [n, b] blocks; a seed is reproducible', () => {
    const blockOp = {
      n: N,
      matvec: (v: NDArray) => {
        const b = v.shape[1]!;
        const out = new Float64Array(N * b);
        for (let i = 0; i < N; i++)
          for (let j = 0; j < N; j++)
            for (let c = 0; c < b; c++) out[i * b + c]! += Kd[i * N + j]! * v.data[j * b + c]!;
        return { data: out, shape: [N, b] };
      },
    };
    const r1 = eigsh(blockOp, 5, { blockSize: 5, seed: 7 });
    const r2 = eigsh(blockOp, 5, { blockSize: 5, seed: 7 });
    for (let c = 0; c < 5; c++) expect(r1.values[c]!).toBeCloseTo(ref[c]!, 8);
    expect(Array.from(r2.vectors.data)).toEqual(Array.from(r1.vectors.data));
  });

  it('locking: later calls multiply only the unconverged columns, same eigenpairs as the dense solve', () => {
    const seen: number[] = [];
    const blockOp = {
      n: N,
      matvec: (v: NDArray) => {
        const b = v.shape[1]!;
        seen.push(b);
        const out = new Float64Array(N * b);
        for (let i = 0; i < N; i++)
          for (let j = 0; j < N; j++)
            for (let c = 0; c < b; c++) out[i * b + c]! += Kd[i * N + j]! * v.data[j * b + c]!;
        return { data: out, shape: [N, b] };
      },
    };
    const k = 6;
    const opts = { blockSize: k, tol: 1e-10, relativeTo: 'value' as const };
    const plain = eigsh(blockOp, k, opts);
    expect(plain.widths).toEqual(seen);
    expect(new Set(plain.widths)).toEqual(new Set([k]));
    seen.length = 0;
    const locked = eigsh(blockOp, k, { ...opts, lock: true });
    expect(locked.widths).toEqual(seen);
    // Widths are powers of two or blockSize, shrinking once pairs converge.
    for (const w of locked.widths) expect([1, 2, 4, k]).toContain(w);
    const total = (ws: number[]) => ws.reduce((a, b) => a + b, 0);
    expect(total(locked.widths)).toBeLessThan(total(plain.widths));
    for (let c = 0; c < k; c++) expect(locked.values[c]!).toBeCloseTo(ref[c]!, 9);
    expectEigenpairs(Kd, locked.values, locked.vectors, k, 1e-8);
  });

  it('bad input is reported', () => {
    const K = Vi(x).sqdist(Vj(x)).neg().exp();
    const bad = (f: () => unknown, re: RegExp) => {
      expect(f).toThrow(LazyTensorError);
      expect(f).toThrow(re);
    };
    bad(() => eigsh(K, 0), /k must be an integer in \[1, 80\], got 0/);
    bad(() => eigsh(K, N + 1), /k must be an integer in \[1, 80\], got 81/);
    bad(
      () => eigsh(Vi(x).sqdist(Vj({ data: uniform(rng(1), 10), shape: [5, 2] })), 1),
      /K must be square, got 80×5/,
    );
    bad(() => eigsh(Vi(x).sub(Vj(x)), 1), /scalar/);
    bad(
      () => eigsh({ n: N, matvec: () => ({ data: new Float64Array(3), shape: [3] }) }, 1),
      /matvec must return 80 values/,
    );
    bad(
      () => eigsh({ n: N, matvec: (v: NDArray) => ({ data: v.data.map(() => Number.NaN), shape: [N] }) }, 1),
      /non-finite/,
    );
    bad(() => eigsh(K, 2, { which: 'middle' as never }), /which must be 'largest' or 'smallest'/);
    bad(() => eigsh(K, 2, { lock: 'yes' as never }), /lock must be a boolean, got yes/);
    bad(() => eigsh(K, 2, { relativeTo: 'max' as never }), /relativeTo must be 'norm' or 'value'/);
    bad(
      () => eigsh(K, 2, { blockSize: 2, start: { data: new Float64Array(N * 3), shape: [N, 3] } }),
      /start must be \[80\] or \[80, w\] with w ≤ blockSize 2, got \[80, 3\]/,
    );
    bad(
      () => eigsh(K, 2, { start: { data: new Float64Array(N).fill(Number.NaN), shape: [N] } }),
      /start has a non-finite value/,
    );
    bad(() => eigsh(op(Kd), 3, { which: 'smallest', maxIter: 4 }), /did not converge in 4 operator calls/);
  });
});

describe('eigsh: an operator returning BigInt values', () => {
  it('is a LazyTensorError (was: a TypeError)', () => {
    const op = { n: 3, matvec: () => ({ data: new BigInt64Array(3), shape: [3] }) as unknown as NDArray };
    expect(() => eigsh(op, 1)).toThrow(/matvec must return 3 values/);
  });
});

describe('eigsh on operators far from norm 1', () => {
  const diag = (v: number[]) => ({
    n: v.length,
    matvec: (x: NDArray) => {
      const b = x.shape[1] ?? 1;
      return {
        data: Float64Array.from(x.data as Float64Array, (z, i) => z * v[Math.floor(i / b)]!),
        shape: x.shape,
      };
    },
  });
  const ev = [1, 2, 3, 4, 0.5, -1];
  it.each([
    1e-200, 1e-160, 1e160, 1e200, 1e300,
  ])('eigenvalues of diag(…)·%s (was: silently wrong, squares under/overflowing)', (s) => {
    const A = diag(ev.map((v) => v * s));
    const big = eigsh(A, 2);
    expect(Array.from(big.values, (v) => v / s)).toEqual([expect.closeTo(4, 10), expect.closeTo(3, 10)]);
    const small = eigsh(A, 2, { which: 'smallest' });
    expect(Array.from(small.values, (v) => v / s)).toEqual([expect.closeTo(-1, 10), expect.closeTo(0.5, 10)]);
    // Eigenvectors: ± the unit vectors of those entries.
    expect(Math.abs(big.vectors.data[3 * 2]!)).toBeCloseTo(1, 10);
    expect(Math.abs(small.vectors.data[5 * 2]!)).toBeCloseTo(1, 10);
  });
});
